"""The filters of the register lists, shared by the pages and the API.

Every list takes `q` (search), `region` (a region's code: its whole subtree) and `grid`, the
filters of its kind, and one or more filters per catalogue field that applies in the region
asked for (or in the user's scope): `extra__<key>` for a value (text: contains; choice and
multiple choice: holds it; yes/no: true or false; number or date: equal), and
`extra__<key>__min` / `extra__<key>__max` for numbers and dates.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import django_filters
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.regions.models import Region
from gezhi.registry.choices import (
    SENSITIVE_TAGS,
    FieldType,
    HouseUse,
    OrganisationKind,
    Ownership,
    PersonTag,
    PopulationType,
    RentalStatus,
    Sex,
    UnitType,
)
from gezhi.registry.models import (
    ETHNICITY_LABELS,
    CatalogueField,
    House,
    Household,
    Organisation,
    Person,
    Unit,
)
from gezhi.registry.selectors import (
    MODEL_KINDS,
    birth_date_bounds,
    catalogue_fields_for_user,
    json_list_contains,
    search_records,
)

EXTRA_PREFIX = "extra__"
ALL = _("全部")


class YesNoWidget(BooleanWidget):
    """`true` / `false` as the API takes them, labelled for the pages."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", ALL), ("true", _("是")), ("false", _("否")))


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _json_value(value):
    """A filter's cleaned value in the form catalogue values are stored in."""
    if isinstance(value, Decimal):
        return _json_number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class CatalogueFilter(django_filters.Filter):
    """A filter on one catalogue value in `extra`; `lookup` is exact, contains, gte, lte or
    `holds` (a multiple-choice list holding the value)."""

    def __init__(self, *args, key: str, lookup: str, **kwargs):
        self.key = key
        self.lookup = lookup
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        value = _json_value(value)
        path = f"extra__{self.key}"
        if self.lookup == "holds":
            return qs.filter(json_list_contains(path, value))
        if self.lookup == "exact":
            return qs.filter(**{path: value})
        return qs.filter(**{f"{path}__{self.lookup}": value})


class CatalogueNumberFilter(CatalogueFilter):
    field_class = django_filters.NumberFilter.field_class


class CatalogueDateFilter(CatalogueFilter):
    field_class = django_filters.DateFilter.field_class


class CatalogueCharFilter(CatalogueFilter):
    field_class = django_filters.CharFilter.field_class


class CatalogueChoiceFilter(CatalogueFilter):
    field_class = django_filters.ChoiceFilter.field_class


class CatalogueBooleanFilter(CatalogueFilter):
    field_class = django_filters.BooleanFilter.field_class

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", YesNoWidget)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        return super().filter(qs, value)


def catalogue_filters(field: CatalogueField) -> dict[str, django_filters.Filter]:
    """The filters a catalogue field offers, by parameter name."""
    name = f"{EXTRA_PREFIX}{field.key}"
    label = field.label
    if field.type in (FieldType.NUMBER, FieldType.DATE):
        cls = CatalogueNumberFilter if field.type == FieldType.NUMBER else CatalogueDateFilter
        return {
            name: cls(key=field.key, lookup="exact", label=label),
            f"{name}__min": cls(
                key=field.key, lookup="gte", label=gettext("%(label)s（最小）") % {"label": label}
            ),
            f"{name}__max": cls(
                key=field.key, lookup="lte", label=gettext("%(label)s（最大）") % {"label": label}
            ),
        }
    if field.type == FieldType.BOOLEAN:
        return {name: CatalogueBooleanFilter(key=field.key, lookup="exact", label=label)}
    if field.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        lookup = "holds" if field.type == FieldType.MULTI_CHOICE else "exact"
        choices = [(str(c), str(c)) for c in field.choices]
        return {
            name: CatalogueChoiceFilter(
                key=field.key, lookup=lookup, label=label, choices=choices, empty_label=ALL
            )
        }
    return {name: CatalogueCharFilter(key=field.key, lookup="icontains", label=label)}


class RecordFilterSet(django_filters.FilterSet):
    """Search, place and catalogue filters every register list has."""

    q = django_filters.CharFilter(
        method="filter_q",
        label=_("搜索"),
        help_text=_("姓名或名称（可只输入一部分）、身份证号或电话（完整或末几位）、地址、编码"),
    )
    region = django_filters.CharFilter(
        method="filter_region", label=_("区域"), help_text=_("区域代码，含其全部下级")
    )
    grid = django_filters.CharFilter(field_name="grid__code", label=_("网格"))

    def __init__(
        self, data=None, queryset=None, *, request=None, prefix=None, catalogue_fields=None
    ):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user = getattr(request, "user", None)
        if catalogue_fields is None:
            catalogue_fields = catalogue_fields_for_user(
                self.user, MODEL_KINDS[self._meta.model], self.region_asked()
            )
        self.catalogue_fields = catalogue_fields
        for field in catalogue_fields:
            for name, filter_ in catalogue_filters(field).items():
                filter_.model = self.queryset.model
                filter_.parent = self
                self.filters[name] = filter_

    def region_asked(self):
        """The region named by the `region` parameter, if the user may see records there."""
        if not hasattr(self, "_region_asked"):
            code = (self.data.get("region") or "").strip()
            region = Region.objects.filter(code=code).first() if code else None
            if region is not None and not user_scope(self.user, Action.REGISTRY_VIEW).covers(
                region.path
            ):
                region = None
            self._region_asked = region
        return self._region_asked

    @property
    def catalogue_filter_names(self) -> list[str]:
        return [name for name in self.filters if name.startswith(EXTRA_PREFIX)]

    def filter_q(self, queryset, name, value):
        return search_records(queryset, value)

    def filter_region(self, queryset, name, value):
        region = Region.objects.filter(code=value.strip()).first()
        if region is None:
            return queryset.none()
        return queryset.filter(grid_path__startswith=region.path)


class PersonFilterSet(RecordFilterSet):
    population_type = django_filters.ChoiceFilter(
        empty_label=ALL, choices=PopulationType.choices, label=_("人口类型")
    )
    tags = django_filters.MultipleChoiceFilter(
        choices=PersonTag.choices,
        method="filter_tags",
        label=_("人群标签"),
        help_text=_("具有其中任一标签"),
    )
    sex = django_filters.ChoiceFilter(empty_label=ALL, choices=Sex.choices, label=_("性别"))
    age_min = django_filters.NumberFilter(method="filter_age", label=_("年龄（最小）"))
    age_max = django_filters.NumberFilter(method="filter_age", label=_("年龄（最大）"))
    ethnicity = django_filters.ChoiceFilter(
        empty_label=ALL, choices=ETHNICITY_LABELS, label=_("民族")
    )
    household = django_filters.NumberFilter(field_name="household_id", label=_("户（编号）"))
    house = django_filters.NumberFilter(field_name="house_id", label=_("房屋（编号）"))

    class Meta:
        model = Person
        fields: list[str] = []

    def filter_tags(self, queryset, name, value):
        if not value:
            return queryset
        # A sensitive tag (health, criminal record) finds only people whose details the user
        # may reveal: filtering on it would otherwise disclose it.
        reveal = user_scope(self.user, Action.PERSONAL_DATA_REVEAL).q("grid_path")
        q = Q()
        for tag in value:
            tag_q = json_list_contains("tags", tag)
            q |= (tag_q & reveal) if tag in SENSITIVE_TAGS else tag_q
        return queryset.filter(q)

    def filter_age(self, queryset, name, value):
        if value is None:
            return queryset
        bound = {"age_min": None, "age_max": None, name: int(value)}
        return queryset.filter(birth_date_bounds(**bound))


class HouseholdFilterSet(RecordFilterSet):
    house = django_filters.NumberFilter(field_name="house_id", label=_("房屋（编号）"))

    class Meta:
        model = Household
        fields: list[str] = []


class HouseFilterSet(RecordFilterSet):
    use = django_filters.ChoiceFilter(empty_label=ALL, choices=HouseUse.choices, label=_("用途"))
    rental_status = django_filters.ChoiceFilter(
        empty_label=ALL, choices=RentalStatus.choices, label=_("出租状态")
    )
    ownership = django_filters.ChoiceFilter(
        empty_label=ALL, choices=Ownership.choices, label=_("产权性质")
    )

    class Meta:
        model = House
        fields: list[str] = []


class UnitFilterSet(RecordFilterSet):
    type = django_filters.ChoiceFilter(
        empty_label=ALL, choices=UnitType.choices, label=_("单位类型")
    )
    hazardous_chemicals = django_filters.BooleanFilter(
        widget=YesNoWidget, label=_("涉及危险化学品")
    )
    house = django_filters.NumberFilter(field_name="house_id", label=_("房屋（编号）"))

    class Meta:
        model = Unit
        fields: list[str] = []


class OrganisationFilterSet(RecordFilterSet):
    kind = django_filters.ChoiceFilter(
        empty_label=ALL, choices=OrganisationKind.choices, label=_("组织类别")
    )
    unit = django_filters.NumberFilter(field_name="unit_id", label=_("依托单位（编号）"))

    class Meta:
        model = Organisation
        fields: list[str] = []


FILTERSETS: dict[type, type[RecordFilterSet]] = {
    Person: PersonFilterSet,
    Household: HouseholdFilterSet,
    House: HouseFilterSet,
    Unit: UnitFilterSet,
    Organisation: OrganisationFilterSet,
}
