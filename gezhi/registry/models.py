"""The registers of the four actuals (四实): people, housing, units, organisations; households;
the data catalogue of extra fields per region; and the history of moves between grids.

Every record lives in a grid: `grid` and `grid_path` (the grid's materialised path, copied so
that scoping is one prefix filter with no join). Catalogue values live in `extra`, keyed by the
field's key. All writes go through `registry.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from gezhi.lib.ethnicity import ETHNICITIES, ethnicity_name
from gezhi.registry.choices import (
    Education,
    FieldType,
    HouseUse,
    InflowReason,
    MaritalStatus,
    OrganisationKind,
    Ownership,
    PoliticalStatus,
    PopulationType,
    RecordKind,
    RelationToHead,
    RentalStatus,
    ResidenceType,
    Sex,
    UnitType,
)

ETHNICITY_CHOICES = sorted(ETHNICITIES.items())  # the Chinese names, as files carry them
# For pages: labels in the interface's language, like gettext_lazy.
ETHNICITY_LABELS = [
    (code, lazy(lambda c: ethnicity_name(c, get_language() or ""), str)(code))
    for code in sorted(ETHNICITIES)
]


class GridPlaced(models.Model):
    """What every register record shares: its grid, catalogue values and timestamps."""

    grid = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属网格"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    grid_path = models.CharField(_("网格路径"), max_length=255, db_index=True, editable=False)
    extra = models.JSONField(_("扩展信息"), default=dict, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class House(GridPlaced):
    """实有房屋: a building or a dwelling in it, with its location and owner."""

    code = models.CharField(_("房屋编码"), max_length=64, unique=True)
    address = models.CharField(_("地址"), max_length=255, db_index=True)
    building = models.CharField(_("楼栋"), max_length=32, blank=True)
    unit_no = models.CharField(_("单元"), max_length=32, blank=True)
    room = models.CharField(_("房号"), max_length=32, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    use = models.CharField(_("用途"), max_length=16, choices=HouseUse.choices, blank=True)
    ownership = models.CharField(
        _("产权性质"), max_length=16, choices=Ownership.choices, blank=True
    )
    rental_status = models.CharField(
        _("出租状态"), max_length=16, choices=RentalStatus.choices, blank=True
    )
    owner_name = models.CharField(_("产权人"), max_length=64, blank=True)
    owner_id_number = models.CharField(_("产权人身份证号"), max_length=18, blank=True)
    owner_phone = models.CharField(_("产权人电话"), max_length=20, blank=True)
    area_m2 = models.DecimalField(
        _("面积（平方米）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    hazards = models.TextField(_("安全隐患"), blank=True)

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.address or self.code


class Household(GridPlaced):
    """户: the people registered together, living at one house."""

    number = models.CharField(_("户号"), max_length=32, unique=True)
    house = models.ForeignKey(
        House,
        verbose_name=_("住址房屋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    address = models.CharField(_("地址"), max_length=255, blank=True)
    head = models.ForeignKey(
        "Person",
        verbose_name=_("户主"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class Person(GridPlaced):
    """实有人口: one person living (or registered) in a grid.

    `id_number` is empty for a person without one yet (a newborn, a foreigner with a passport),
    to be matched later; when present it is unique.
    """

    id_number = models.CharField(_("公民身份号码"), max_length=18, blank=True, db_index=True)
    name = models.CharField(_("姓名"), max_length=64, db_index=True)
    former_name = models.CharField(_("曾用名"), max_length=64, blank=True)
    sex = models.CharField(_("性别"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=2, choices=ETHNICITY_LABELS, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    marital_status = models.CharField(
        _("婚姻状况"), max_length=16, choices=MaritalStatus.choices, blank=True
    )
    political_status = models.CharField(
        _("政治面貌"), max_length=20, choices=PoliticalStatus.choices, blank=True
    )
    education = models.CharField(_("学历"), max_length=16, choices=Education.choices, blank=True)
    religion = models.CharField(_("宗教信仰"), max_length=32, blank=True)
    occupation = models.CharField(_("职业"), max_length=64, blank=True)
    workplace = models.CharField(_("工作单位"), max_length=128, blank=True)
    registered_address = models.CharField(_("户籍地址"), max_length=255, blank=True)
    registered_region_code = models.CharField(_("户籍地区划代码"), max_length=12, blank=True)
    house = models.ForeignKey(
        House,
        verbose_name=_("现住房屋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occupants",
    )
    current_address = models.CharField(_("现住地址"), max_length=255, blank=True)
    household = models.ForeignKey(
        Household,
        verbose_name=_("所在户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    relation_to_head = models.CharField(
        _("与户主关系"), max_length=20, choices=RelationToHead.choices, blank=True
    )
    population_type = models.CharField(
        _("人口类型"),
        max_length=16,
        choices=PopulationType.choices,
        default=PopulationType.REGISTERED,
        db_index=True,
    )
    # 流动人口
    inflow_reason = models.CharField(
        _("流入原因"), max_length=16, choices=InflowReason.choices, blank=True
    )
    residence_type = models.CharField(
        _("居住处所类型"), max_length=16, choices=ResidenceType.choices, blank=True
    )
    arrived_on = models.DateField(_("来本地日期"), null=True, blank=True)
    # 境外人员
    nationality = models.CharField(_("国籍"), max_length=64, blank=True)
    document_type = models.CharField(_("证件类型"), max_length=32, blank=True)
    document_number = models.CharField(_("证件号码"), max_length=32, blank=True)
    stay_purpose = models.CharField(_("来华目的"), max_length=64, blank=True)
    stay_until = models.DateField(_("预计离开日期"), null=True, blank=True)
    tags = models.JSONField(_("人群标签"), default=list, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("人口")
        verbose_name_plural = _("人口")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=~Q(id_number=""), name="unique_person_id_number"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Unit(GridPlaced):
    """实有单位: an enterprise, shop, institution or public place."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    name = models.CharField(_("单位名称"), max_length=128, db_index=True)
    type = models.CharField(_("单位类型"), max_length=24, choices=UnitType.choices, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    house = models.ForeignKey(
        House,
        verbose_name=_("所在房屋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=64, blank=True)
    legal_representative_id_number = models.CharField(
        _("法定代表人身份证号"), max_length=18, blank=True
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    employees = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    security_officer = models.CharField(_("治安保卫负责人"), max_length=64, blank=True)
    security_officer_phone = models.CharField(_("保卫负责人电话"), max_length=20, blank=True)
    hazardous_chemicals = models.BooleanField(_("涉及危险化学品"), default=False)
    hazardous_chemicals_note = models.CharField(_("危化品说明"), max_length=255, blank=True)
    hazards = models.TextField(_("安全隐患"), blank=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="unique_unit_credit_code",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Organisation(GridPlaced):
    """实有组织: a Party organisation, social organisation, union and the like.

    Its grid is where it sits (its unit's grid, or the grid of its office); `region` is the
    region it serves or belongs to (a village's Party branch belongs to the village).
    """

    name = models.CharField(_("组织名称"), max_length=128, db_index=True)
    kind = models.CharField(_("组织类别"), max_length=24, choices=OrganisationKind.choices)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    registration_number = models.CharField(_("登记证号"), max_length=64, blank=True)
    registering_authority = models.CharField(_("登记管理机关"), max_length=128, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("依托单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    leader = models.CharField(_("负责人"), max_length=64, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    members = models.PositiveIntegerField(_("成员人数"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="unique_organisation_credit_code",
            )
        ]

    def __str__(self) -> str:
        return self.name


class GridMove(models.Model):
    """A record moving from one grid to another: the history, never an overwrite."""

    kind = models.CharField(_("类型"), max_length=16, choices=RecordKind.choices)
    record_id = models.BigIntegerField(_("记录编号"))
    from_grid = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("原网格")
    )
    to_grid = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("新网格")
    )
    moved_at = models.DateTimeField(_("时间"), auto_now_add=True)
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )

    class Meta:
        verbose_name = _("网格变动")
        verbose_name_plural = _("网格变动")
        ordering = ["-moved_at"]
        indexes = [models.Index(fields=["kind", "record_id"])]

    def __str__(self) -> str:
        return f"{self.kind}#{self.record_id}: {self.from_grid_id} → {self.to_grid_id}"


class CatalogueField(models.Model):
    """数据目录: an extra field a region collects for one kind of record in its subtree.

    Dari collects yaks, sheep and horses per household; a city district does not. Values are
    kept in the records' `extra` under `key`.
    """

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("适用区域"),
        on_delete=models.PROTECT,
        related_name="catalogue_fields",
    )
    region_path = models.CharField(max_length=255, db_index=True, editable=False)
    kind = models.CharField(_("适用对象"), max_length=16, choices=RecordKind.choices)
    key = models.SlugField(_("字段标识"), max_length=48)
    label = models.CharField(_("名称"), max_length=64)
    type = models.CharField(_("类型"), max_length=16, choices=FieldType.choices)
    unit = models.CharField(_("单位"), max_length=16, blank=True, help_text=_("如：头、亩、元"))
    choices = models.JSONField(_("选项"), default=list, blank=True)
    required = models.BooleanField(_("必填"), default=False)
    help_text = models.CharField(_("填写说明"), max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("数据目录字段")
        verbose_name_plural = _("数据目录字段")
        ordering = ["kind", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "key"], name="unique_catalogue_key")
        ]

    def __str__(self) -> str:
        return f"{self.label}（{self.key}）"
