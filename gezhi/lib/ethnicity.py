"""Ethnic groups of China by GB/T 3304 code (two digits), with their Chinese and English names."""

from __future__ import annotations

ETHNICITIES: dict[str, str] = {
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族",
    "07": "彝族", "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族",
    "13": "瑶族", "14": "白族", "15": "土家族", "16": "哈尼族", "17": "哈萨克族", "18": "傣族",
    "19": "黎族", "20": "傈僳族", "21": "佤族", "22": "畲族", "23": "高山族", "24": "拉祜族",
    "25": "水族", "26": "东乡族", "27": "纳西族", "28": "景颇族", "29": "柯尔克孜族",
    "30": "土族", "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族",
    "35": "撒拉族", "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族",
    "40": "普米族", "41": "塔吉克族", "42": "怒族", "43": "乌孜别克族", "44": "俄罗斯族",
    "45": "鄂温克族", "46": "德昂族", "47": "保安族", "48": "裕固族", "49": "京族",
    "50": "塔塔尔族", "51": "独龙族", "52": "鄂伦春族", "53": "赫哲族", "54": "门巴族",
    "55": "珞巴族", "56": "基诺族", "97": "其他", "98": "外国血统中国籍人士",
}  # fmt: skip

ETHNICITIES_EN: dict[str, str] = {
    "01": "Han", "02": "Mongol", "03": "Hui", "04": "Tibetan", "05": "Uyghur", "06": "Miao",
    "07": "Yi", "08": "Zhuang", "09": "Bouyei", "10": "Korean", "11": "Manchu", "12": "Dong",
    "13": "Yao", "14": "Bai", "15": "Tujia", "16": "Hani", "17": "Kazakh", "18": "Dai",
    "19": "Li", "20": "Lisu", "21": "Va", "22": "She", "23": "Gaoshan", "24": "Lahu",
    "25": "Sui", "26": "Dongxiang", "27": "Naxi", "28": "Jingpo", "29": "Kirgiz", "30": "Tu",
    "31": "Daur", "32": "Mulao", "33": "Qiang", "34": "Blang", "35": "Salar", "36": "Maonan",
    "37": "Gelao", "38": "Xibe", "39": "Achang", "40": "Pumi", "41": "Tajik", "42": "Nu",
    "43": "Uzbek", "44": "Russian", "45": "Ewenki", "46": "De'ang", "47": "Bonan",
    "48": "Yugur", "49": "Gin", "50": "Tatar", "51": "Derung", "52": "Oroqen", "53": "Hezhen",
    "54": "Monba", "55": "Lhoba", "56": "Jino", "97": "Other",
    "98": "Chinese citizen of foreign origin",
}  # fmt: skip

ETHNICITY_BY_NAME: dict[str, str] = {name: code for code, name in ETHNICITIES.items()}
# Spreadsheets often drop the 族: "汉" for 汉族.
ETHNICITY_BY_NAME.update(
    {name.removesuffix("族"): code for code, name in ETHNICITIES.items() if name.endswith("族")}
)


def ethnicity_code(value: str) -> str | None:
    """The GB/T 3304 code for a code ("04", "4") or a name ("藏族", "藏"); None if unknown."""
    text = (value or "").strip()
    if text.isdigit():
        code = text.zfill(2)
        return code if code in ETHNICITIES else None
    return ETHNICITY_BY_NAME.get(text)


def ethnicity_name(code: str, language: str = "zh-hans") -> str:
    """The group's name in Chinese, or in English for an English-language interface."""
    names = ETHNICITIES_EN if language.startswith("en") else ETHNICITIES
    return names.get(code, code)
