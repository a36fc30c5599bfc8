"""Choices of the registers (GB/T 31000, as summarised in STANDARDS.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordKind(models.TextChoices):
    """The kinds of register record; the data catalogue defines extra fields per kind."""

    PERSON = "person", _("人口")
    HOUSEHOLD = "household", _("户")
    HOUSE = "house", _("房屋")
    UNIT = "unit", _("单位")
    ORGANISATION = "organisation", _("组织")


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")
    UNKNOWN = "unknown", _("未知")


class PopulationType(models.TextChoices):
    """户籍 / 流动 / 境外 (left-behind and other groups are tags, not types)."""

    REGISTERED = "registered", _("户籍人口")
    FLOATING = "floating", _("流动人口")
    OVERSEAS = "overseas", _("境外人员")


class RelationToHead(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    CHILD_IN_LAW = "child_in_law", _("儿媳、女婿")
    OTHER_RELATIVE = "other_relative", _("其他亲属")
    NON_RELATIVE = "non_relative", _("非亲属")


class PersonTag(models.TextChoices):
    """Special groups and key care (特殊人群、重点关爱)."""

    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    EMPTY_NEST = "empty_nest", _("空巢老人")
    DISABLED = "disabled", _("残疾人")
    LOW_INCOME = "low_income", _("低保对象")
    EXTREME_POVERTY = "extreme_poverty", _("特困人员")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    LEFT_BEHIND_ELDERLY = "left_behind_elderly", _("留守老人")
    LEFT_BEHIND_WOMAN = "left_behind_woman", _("留守妇女")
    VETERAN = "veteran", _("退役军人")
    KEY_CARE = "key_care", _("重点关爱对象")
    MENTAL_ILLNESS = "mental_illness", _("严重精神障碍患者")
    COMMUNITY_CORRECTION = "community_correction", _("社区矫正对象")
    RELEASED_PRISONER = "released_prisoner", _("刑满释放人员")
    DRUG_USER = "drug_user", _("吸毒人员")


# Tags that are sensitive personal information (health, criminal record): shown only to users
# who may reveal personal data.
SENSITIVE_TAGS = frozenset(
    {
        PersonTag.DISABLED,
        PersonTag.MENTAL_ILLNESS,
        PersonTag.COMMUNITY_CORRECTION,
        PersonTag.RELEASED_PRISONER,
        PersonTag.DRUG_USER,
    }
)


class MaritalStatus(models.TextChoices):
    UNMARRIED = "unmarried", _("未婚")
    MARRIED = "married", _("已婚")
    WIDOWED = "widowed", _("丧偶")
    DIVORCED = "divorced", _("离婚")


class PoliticalStatus(models.TextChoices):
    CPC_MEMBER = "cpc_member", _("中共党员")
    CPC_PROBATIONARY = "cpc_probationary", _("中共预备党员")
    CYL_MEMBER = "cyl_member", _("共青团员")
    DEMOCRATIC_PARTY = "democratic_party", _("民主党派")
    MASSES = "masses", _("群众")


class Education(models.TextChoices):
    NONE = "none", _("未上过学")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中/中专")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科")
    POSTGRADUATE = "postgraduate", _("研究生")


class InflowReason(models.TextChoices):
    """Why a floating person came (流入原因)."""

    WORK = "work", _("务工")
    BUSINESS = "business", _("经商")
    STUDY = "study", _("就学")
    FAMILY = "family", _("投亲靠友")
    MEDICAL = "medical", _("就医")
    OTHER = "other", _("其他")


class ResidenceType(models.TextChoices):
    """Where a floating person lives (居住处所)."""

    RENTED = "rented", _("租赁房屋")
    EMPLOYER = "employer", _("单位内部")
    WORKSITE = "worksite", _("工地现场")
    RELATIVES = "relatives", _("借住亲友家")
    OWN = "own", _("自购房")
    OTHER = "other", _("其他")


class HouseUse(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    COMMERCIAL = "commercial", _("商业")
    MIXED = "mixed", _("商住两用")
    OFFICE = "office", _("办公")
    INDUSTRIAL = "industrial", _("工业厂房")
    WAREHOUSE = "warehouse", _("仓储")
    PASTORAL = "pastoral", _("牧业用房")
    OTHER = "other", _("其他")


class Ownership(models.TextChoices):
    PRIVATE = "private", _("私有")
    PUBLIC = "public", _("公有")
    COLLECTIVE = "collective", _("集体")
    ENTERPRISE = "enterprise", _("企业")
    OTHER = "other", _("其他")


class RentalStatus(models.TextChoices):
    SELF_OCCUPIED = "self_occupied", _("自住")
    RENTED = "rented", _("出租")
    PARTLY_RENTED = "partly_rented", _("部分出租")
    VACANT = "vacant", _("空置")


class UnitType(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    INDIVIDUAL = "individual", _("个体工商户")
    PUBLIC_INSTITUTION = "public_institution", _("事业单位")
    GOVERNMENT = "government", _("机关")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医疗机构")
    VENUE = "venue", _("公共场所")
    OTHER = "other", _("其他")


class OrganisationKind(models.TextChoices):
    PARTY = "party", _("党组织")
    SOCIAL = "social", _("社会组织")
    UNION = "union", _("工会")
    YOUTH_LEAGUE = "youth_league", _("共青团")
    WOMENS_FEDERATION = "womens_federation", _("妇联")
    VOLUNTEER = "volunteer", _("志愿服务组织")
    COOPERATIVE = "cooperative", _("合作社")
    OTHER = "other", _("其他")


class FieldType(models.TextChoices):
    """Types of a data-catalogue field."""

    TEXT = "text", _("文本")
    NUMBER = "number", _("数值")
    DATE = "date", _("日期")
    CHOICE = "choice", _("单选")
    MULTI_CHOICE = "multi_choice", _("多选")
    BOOLEAN = "boolean", _("是/否")
