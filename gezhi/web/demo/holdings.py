"""What the demo's households hold that their county's data catalogue asks about: 达日县's
herds and pastures, 拉孜县's highland barley fields.

Figures follow the pattern of Golog's pastoral households: a few dozen yaks, sheep in fewer
than two households out of three, a horse or two; pastures contracted per person (winter
pastures smaller than summer ones); most families live at a settlement (定居点) in winter.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from gezhi.web.demo.families import Family, pick


def dari_household(rng: random.Random, family: Family) -> dict[str, Any]:
    """Livestock, pastures, settlement and main income of a household in 达日县."""
    size = len(family.members)
    if family.floating or family.place.locale == "urban":
        # Townspeople and traders: a few keep yaks with relatives on the pastures.
        yaks = 0 if family.floating or rng.random() < 0.85 else rng.randint(2, 15)
        if family.floating:
            income = "经商"
        else:
            income = pick(rng, {"工资": 25, "经商": 30, "务工": 30, "政策性补贴": 10, "其他": 5})
        return {
            "yaks": yaks,
            "sheep": 0,
            "horses": 0,
            "winter_pasture_mu": rng.randint(200, 800) if yaks else 0,
            "summer_pasture_mu": rng.randint(300, 1200) if yaks else 0,
            "settled": not family.floating,
            "main_income": income,
        }
    if family.kind == "alone":
        yaks, income = rng.randint(0, 10), "政策性补贴"
    else:
        yaks = int(rng.lognormvariate(3.5, 0.55) * min(1.6, 0.6 + size / 6))
        income = pick(rng, {"畜牧业": 72, "虫草采挖": 14, "务工": 6, "政策性补贴": 5, "经商": 3})
    return {
        "yaks": yaks,
        "sheep": 0 if rng.random() < 0.4 else int(rng.lognormvariate(3.1, 0.7)),
        "horses": rng.choices((0, 1, 2, 3, 4), weights=(30, 35, 20, 10, 5))[0],
        "winter_pasture_mu": round(size * rng.uniform(350, 700)),
        "summer_pasture_mu": round(size * rng.uniform(500, 1100)),
        "settled": rng.random() < 0.75,
        "main_income": income,
    }


def lazi_household(rng: random.Random, family: Family) -> dict[str, Any]:
    """The highland barley (青稞) a household in 拉孜县 sows, to the half mu."""
    if family.floating or family.place.locale == "urban":
        return {"qingke_mu": 0}
    return {"qingke_mu": round(len(family.members) * rng.uniform(1.2, 2.5) * 2) / 2}


HOLDINGS: dict[str, Callable[[random.Random, Family], dict[str, Any]]] = {
    "632624": dari_household,
    "540225": lazi_household,
}
