"""Chinese codes: division and grid codes (GB/T 2260, statistical codes, CJ/T 213),
resident identity numbers (GB 11643) and unified social credit codes (GB 32100).

Framework-free: every check returns a message for the user, or None when valid. Messages are
written in Chinese and translated through Django when it is set up.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from operator import mul


def _(message: str) -> str:
    """`message` in the active language when Django is configured; as written otherwise."""
    try:
        from django.conf import settings
        from django.utils.translation import gettext
    except ImportError:
        return message
    return gettext(message) if settings.configured else message


# Number of digits of a code at each level of the region tree.
LEVEL_DIGITS: dict[str, int] = {
    "province": 6,
    "city": 6,
    "county": 6,
    "township": 9,
    "village": 12,
    "area": 15,
    "grid": 15,
}
# The labels of regions.choices.Level (so the catalog translates them); also the level names
# that spreadsheets may use.
LEVEL_NAMES_ZH = {
    "province": "省",
    "city": "市",
    "county": "县（区）",
    "township": "乡镇（街道）",
    "village": "村（社区）",
    "area": "片区",
    "grid": "网格",
}


def region_code_error(code: str, level: str) -> str | None:
    """Why `code` is not a valid code for a region of `level`, or None.

    province XX0000, city XXXX00 (not 00), county XXXXXX with a non-zero county part;
    township 9 digits, village 12, area and grid 15 (village code + 3-digit sequence).
    Township and village digits are not checked against a list: real codes such as
    320612401598 (a farm's "virtual living area") are valid.
    """
    if level not in LEVEL_DIGITS:
        return _("未知层级 %(level)r，应为 %(levels)s 之一") % {
            "level": level,
            "levels": ", ".join(LEVEL_DIGITS),
        }
    digits = LEVEL_DIGITS[level]
    if not re.fullmatch(r"\d+", code or ""):
        return _("代码 %(code)r 只能包含数字") % {"code": code}
    if len(code) != digits:
        return _("%(level)s代码应为 %(digits)d 位数字，%(code)r 是 %(length)d 位") % {
            "level": _(LEVEL_NAMES_ZH[level]),
            "digits": digits,
            "code": code,
            "length": len(code),
        }
    if code[:2] in ("00",):
        return _("代码 %(code)s 的省级部分不能为 00") % {"code": code}
    if level == "province" and code[2:] != "0000":
        return _("省级代码应以 0000 结尾：%(code)s") % {"code": code}
    if level == "city" and (code[2:4] == "00" or code[4:] != "00"):
        return _("市级代码应为 XXXX00 且市级部分不为 00：%(code)s") % {"code": code}
    if level == "county" and code[4:] == "00":
        return _("县级代码的县级部分不能为 00：%(code)s") % {"code": code}
    if level in ("township",) and code[6:] == "000":
        return _("乡镇代码的后三位不能为 000：%(code)s") % {"code": code}
    if level == "village" and code[9:] == "000":
        return _("村（社区）代码的后三位不能为 000：%(code)s") % {"code": code}
    if level in ("area", "grid") and code[12:] == "000":
        return _("%(level)s序号不能为 000：%(code)s") % {
            "level": _(LEVEL_NAMES_ZH[level]),
            "code": code,
        }
    return None


def code_prefix_for_child(parent_code: str, parent_level: str) -> str:
    """The part of a child's code that must repeat its parent's code."""
    if parent_level == "province":
        return parent_code[:2]
    if parent_level == "city":
        return parent_code[:4]
    if parent_level == "area":
        return parent_code[:12]  # grids under an area carry the village code
    return parent_code


def child_code_error(code: str, parent_code: str, parent_level: str) -> str | None:
    """Why `code` does not sit under its parent's code, or None."""
    prefix = code_prefix_for_child(parent_code, parent_level)
    if not code.startswith(prefix):
        return _("代码 %(code)s 不在上级代码 %(parent)s 之下（应以 %(prefix)s 开头）") % {
            "code": code,
            "parent": parent_code,
            "prefix": prefix,
        }
    return None


# --- GB 11643 resident identity numbers -------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_PATTERN = re.compile(r"\d{17}[\dX]", re.ASCII)


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    # map() keeps this loop in C: imports check hundreds of thousands of numbers.
    return ID_CHECK[sum(map(mul, map(int, first17), ID_WEIGHTS)) % 11]


@dataclass(frozen=True)
class IdNumber:
    value: str
    area_code: str
    birth_date: dt.date
    sex: str  # "male" or "female"


def parse_id_number(value: object, *, today: dt.date | None = None) -> IdNumber:
    """Parse and check an 18-character identity number; raise ValueError with the reason.

    A number that arrives as an int or float (Excel keeps 15 significant digits) is refused:
    its last digits are already lost.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(
            _("身份证号以数字形式存储，Excel 已截断为 15 位有效数字；请将该列设为文本后重新填写")
        )
    text = str(value or "").strip().upper()
    if not ID_PATTERN.fullmatch(text):
        raise ValueError(
            _("身份证号应为 18 位（前 17 位数字，末位数字或 X）：%(text)r") % {"text": text}
        )
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise ValueError(_("身份证号中的出生日期 %(date)s 不存在") % {"date": text[6:14]}) from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1880:
        raise ValueError(_("身份证号中的出生日期 %(date)s 不合理") % {"date": birth.isoformat()})
    expected = id_check_char(text[:17])
    if text[17] != expected:
        raise ValueError(
            _("身份证号校验位错误：应为 %(expected)s，实为 %(actual)s")
            % {"expected": expected, "actual": text[17]}
        )
    sex = "male" if int(text[16]) % 2 == 1 else "female"
    return IdNumber(text, text[:6], birth, sex)


# --- GB 32100 unified social credit codes -----------------------------------------------

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def credit_code_error(value: str) -> str | None:
    """Why `value` is not a valid unified social credit code, or None."""
    text = (value or "").strip().upper()
    if len(text) != 18:
        return _("统一社会信用代码应为 18 位：%(text)r 是 %(length)d 位") % {
            "text": text,
            "length": len(text),
        }
    bad = sorted({c for c in text if c not in CREDIT_CHARS})
    if bad:
        return _("统一社会信用代码含有不允许的字符 %(chars)s（不使用 I、O、Z、S、V）") % {
            "chars": "".join(bad)
        }
    expected = credit_check_char(text[:17])
    if text[17] != expected:
        return _("统一社会信用代码校验位错误：应为 %(expected)s，实为 %(actual)s") % {
            "expected": expected,
            "actual": text[17],
        }
    return None


def mobile_error(value: str) -> str | None:
    if not re.fullmatch(r"1\d{10}", (value or "").strip()):
        return _("手机号应为以 1 开头的 11 位数字：%(value)r") % {"value": value}
    return None
