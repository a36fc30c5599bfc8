"""Made-up identities for the demo's population: names in the style of each place, valid
GB 11643 identity numbers, mobile and landline numbers, and GB 32100 credit codes.

Everything is drawn from one `random.Random`, so a county's population is the same on every
run with the same seed. Numbers are unique within a run and against what the database holds.
"""

from __future__ import annotations

import datetime as dt
import random

from gezhi.lib.codes import CREDIT_CHARS, credit_check_char, id_check_char
from gezhi.registry.choices import Sex
from gezhi.web.demo.places import words

# The day ages are counted to: fixed, so a seed gives the same people whenever it runs.
REFERENCE_DAY = dt.date(2026, 1, 1)

# --- names ------------------------------------------------------------------------------

# Given names by sex and by the years people were born in: 建国 and 桂英 are grandparents,
# 子轩 and 欣怡 are schoolchildren.
HAN_GIVEN = {
    (Sex.MALE, "old"): words(
        "建国 国庆 德明 志强 福生 长林 金生 国华 永康 建华 振华 树林 德福 明德 玉成 正清 宝山 "
        "海生 卫国 文华 桂林 荣生 根宝 福林"
    ),
    (Sex.MALE, "middle"): words(
        "伟 强 磊 军 勇 杰 涛 明 超 刚 平 斌 辉 鹏 峰 建军 海涛 建平 晓东 志刚 国强 俊 华 林 "
        "波 文 剑 锋 春雷 小兵"
    ),
    (Sex.MALE, "young"): words(
        "浩 宇 轩 浩然 子轩 宇航 俊杰 博文 一鸣 子豪 浩宇 晨阳 天佑 思远 家豪 皓轩 奕辰 铭泽 "
        "嘉懿 梓睿 宇轩 沐阳"
    ),
    (Sex.FEMALE, "old"): words(
        "秀英 桂英 秀兰 玉兰 桂兰 凤英 玉珍 淑珍 美兰 翠花 金凤 素珍 桂芳 秀珍 兰英 月娥 桂珍 秀梅"
    ),
    (Sex.FEMALE, "middle"): words(
        "丽 芳 娜 敏 静 艳 娟 霞 红梅 海燕 春燕 丽娟 晓燕 小红 慧 玲 燕 丹 琳 雪梅 晓丽 美玲"
    ),
    (Sex.FEMALE, "young"): words(
        "欣怡 梓涵 诗涵 子涵 雨涵 一诺 可馨 语嫣 思琪 佳怡 梦瑶 雨欣 若曦 紫萱 悦 婷 瑶 颖 "
        "涵 萱 欣妍 芷若"
    ),
}

# Tibetan names have no surname: one or two name elements, the second usually showing the
# sex. Ü-Tsang (拉孜) and Amdo (达日, in Golog) draw on different elements.
TSANG_MALE = words("扎西 多吉 旦增 顿珠 平措 强巴 旺堆 罗布 朗杰 加措 次旦 索朗 洛桑 贡桑 桑珠")
TSANG_FEMALE = words("卓玛 央宗 德吉 次珍 拉姆 曲珍 普赤 玉珍 卓嘎 央金 白珍 旺姆 琼达 次央 巴珍")
TSANG_EITHER = words("次仁 尼玛 达瓦 边巴 普布 拉巴 米玛 巴桑 格桑 白玛")
AMDO_MALE = words(
    "才让 多杰 索南 尖措 东知 更藏 昂秀 万玛 当周 仁增 旦正 桑杰 完么 项秀 才旦 拉加 公保 "
    "周加 华旦 南加 久美 罗藏 扎西 尼玛"
)
AMDO_FEMALE = words(
    "卓玛 拉毛 才措 周毛 吉毛 措毛 卓嘎 德吉 央金 娘吉 拉措 才吉 旦措 吉措 东措 桑毛"
)

# Surnames of Hui traders from 化隆 and 循化 (达日县's floating population).
HUI_SURNAMES = "马韩冶赵沈"


def cohort(birth_year: int) -> str:
    if birth_year < 1960:
        return "old"
    if birth_year < 1990:
        return "middle"
    return "young"


class Names:
    """Names in the style of a place: "han" (with a surname list, commonest first),
    "tsang" or "amdo"."""

    def __init__(self, rng: random.Random, style: str, surnames: str):
        self.rng = rng
        self.style = style
        self.surnames = surnames

    def surname(self, surnames: str | None = None) -> str:
        pool = surnames or self.surnames
        # Skewed towards the front of the list: a county's common surnames are common.
        return pool[int(len(pool) * self.rng.random() ** 2.2)]

    def given(self, sex: str, birth_year: int) -> str:
        return self.rng.choice(HAN_GIVEN[(Sex(sex), cohort(birth_year))])

    def name(self, sex: str, birth_year: int, *, surname: str | None = None) -> str:
        """A full name; `surname` for a child taking the father's."""
        if self.style == "tsang":
            return self.tsang(sex)
        if self.style == "amdo":
            return self.amdo(sex)
        return (surname or self.surname()) + self.given(sex, birth_year)

    def tsang(self, sex: str) -> str:
        rng = self.rng
        if sex == Sex.MALE:
            if rng.random() < 0.2:
                return rng.choice(TSANG_MALE)
            first = rng.choice(TSANG_EITHER + TSANG_MALE)
            second = rng.choice([n for n in TSANG_MALE + TSANG_EITHER if n != first])
            return first + second
        if rng.random() < 0.15:
            return rng.choice(TSANG_FEMALE)
        return rng.choice(TSANG_EITHER) + rng.choice(TSANG_FEMALE)

    def amdo(self, sex: str) -> str:
        rng = self.rng
        if sex == Sex.MALE:
            if rng.random() < 0.4:
                return rng.choice(AMDO_MALE)
            first = rng.choice(AMDO_MALE)
            return first + rng.choice([n for n in AMDO_MALE if n != first])
        if rng.random() < 0.4:
            return rng.choice(AMDO_FEMALE)
        return rng.choice(AMDO_MALE) + rng.choice(AMDO_FEMALE)


# --- numbers ----------------------------------------------------------------------------

MOBILE_PREFIXES = words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 175 "
    "176 177 178 180 181 182 183 185 186 187 188 189 191 193 195 198 199"
)


def birth_date_for(rng: random.Random, age: int) -> dt.date:
    """A birth date for someone `age` full years old on the reference day."""
    anniversary = REFERENCE_DAY.replace(year=REFERENCE_DAY.year - age)
    return anniversary - dt.timedelta(days=rng.randrange(365))


class Numbers:
    """Identity numbers, phone numbers and credit codes, unique across the run.

    `taken_ids` and `taken_codes` start with what the database already holds.
    """

    def __init__(self, rng: random.Random, taken_ids: set[str], taken_codes: set[str]):
        self.rng = rng
        self.taken_ids = taken_ids
        self.taken_codes = taken_codes

    def id_number(self, area: str, birth: dt.date, sex: str) -> str:
        """A GB 11643 number: area code, birth date, a sequence whose parity gives the sex
        (odd for men), and the MOD 11-2 check character."""
        parity = 1 if sex == Sex.MALE else 0
        for _ in range(1000):
            sequence = self.rng.randrange(500) * 2 + parity
            if sequence == 0:
                continue
            first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
            number = first17 + id_check_char(first17)
            if number not in self.taken_ids:
                self.taken_ids.add(number)
                return number
        raise RuntimeError(f"no free identity number left for {area} {birth}")

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def landline(self, area_code: str) -> str:
        return f"{area_code}-{self.rng.randrange(2, 9)}{self.rng.randrange(10**6):06d}"

    def credit_code(self, prefix: str, region_code: str, *, new_style: bool = True) -> str:
        """A GB 32100 code: `prefix` (registration authority and type, e.g. "91" for an
        enterprise), the 6-digit region code of the registering authority, a 9-character
        organisation code (GB 11714: "MA" and six characters for bodies registered since
        2015, eight digits for older ones, then its own check character) and the check
        character."""
        body_chars = CREDIT_CHARS if new_style else CREDIT_CHARS[:10]
        for _ in range(1000):
            if new_style:
                body = "MA" + "".join(self.rng.choice(body_chars) for _ in range(6))
            else:
                body = "".join(self.rng.choice(body_chars) for _ in range(8))
            first17 = f"{prefix}{region_code}{body}{organisation_check_char(body)}"
            code = first17 + credit_check_char(first17)
            if code not in self.taken_codes:
                self.taken_codes.add(code)
                return code
        raise RuntimeError(f"no free credit code left for {prefix}{region_code}")


ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_check_char(body: str) -> str:
    """The check character of an organisation code (GB 11714): digits count as themselves,
    letters A-Z as 10-35."""
    total = sum(int(c, 36) * w for c, w in zip(body, ORGANISATION_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))
