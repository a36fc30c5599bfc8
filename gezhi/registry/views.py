"""Register pages: lists with filters and search, detail pages, forms, and the reveal of
personal data.

Every page finds its records through the selectors (the user's scope): a record outside it
is a 404, the same as one that does not exist. Writes go through the services; their
`InvalidInput` lands on the form field it names.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.core.errors import DomainError, InvalidInput, NotFound
from gezhi.registry import services
from gezhi.registry.catalogue import display_value, fields_for
from gezhi.registry.choices import (
    SENSITIVE_TAGS,
    FieldType,
    PersonTag,
    PopulationType,
    RecordKind,
)
from gezhi.registry.filters import FILTERSETS
from gezhi.registry.forms import RevealForm, record_form
from gezhi.registry.history import record_history
from gezhi.registry.models import House, Household, Organisation, Person, Unit
from gezhi.registry.selectors import (
    MODEL_KINDS,
    access_record,
    filter_grids,
    filter_regions,
    house_households,
    house_occupants,
    house_units,
    household_members,
    person_picture,
    record_list,
    records_for_user,
    unit_organisations,
)

PAGE_SIZE = 50


@dataclass(frozen=True)
class KindPage:
    """How one kind of record appears in the pages."""

    kind: str
    slug: str
    model: type[models.Model]
    title: Any
    # sort key -> order_by arguments; the first is the default
    sorts: dict[str, tuple] = field(default_factory=dict)
    # the fields of the detail page, in order
    facts: tuple[str, ...] = ()


def _sorts(**columns: tuple) -> dict[str, tuple]:
    """Each column ascending and descending (`-name`), nulls last either way, then by id."""
    result: dict[str, tuple] = {}
    for key, fields in columns.items():
        result[key] = tuple(F(f).asc(nulls_last=True) for f in fields) + ("id",)
        result[f"-{key}"] = tuple(F(f).desc(nulls_last=True) for f in fields) + ("-id",)
    return result


KIND_PAGES: dict[str, KindPage] = {
    RecordKind.PERSON: KindPage(
        kind=RecordKind.PERSON,
        slug="people",
        model=Person,
        title=gettext_lazy("实有人口"),
        sorts=_sorts(
            name=("name",),
            birth_date=("birth_date",),
            population_type=("population_type",),
            grid=("grid_path",),
            updated_at=("updated_at",),
        ),
        facts=(
            "name",
            "former_name",
            "id_number",
            "sex",
            "birth_date",
            "ethnicity",
            "phone",
            "population_type",
            "marital_status",
            "political_status",
            "education",
            "religion",
            "occupation",
            "workplace",
            "registered_address",
            "registered_region_code",
            "current_address",
            "house",
            "household",
            "relation_to_head",
            "inflow_reason",
            "residence_type",
            "arrived_on",
            "nationality",
            "document_type",
            "document_number",
            "stay_purpose",
            "stay_until",
            "tags",
            "notes",
        ),
    ),
    RecordKind.HOUSEHOLD: KindPage(
        kind=RecordKind.HOUSEHOLD,
        slug="households",
        model=Household,
        title=gettext_lazy("户"),
        sorts=_sorts(number=("number",), address=("address",), grid=("grid_path",)),
        facts=("number", "head", "house", "address"),
    ),
    RecordKind.HOUSE: KindPage(
        kind=RecordKind.HOUSE,
        slug="houses",
        model=House,
        title=gettext_lazy("实有房屋"),
        sorts=_sorts(
            code=("code",),
            address=("address",),
            use=("use",),
            rental_status=("rental_status",),
            area_m2=("area_m2",),
            grid=("grid_path",),
        ),
        facts=(
            "code",
            "address",
            "building",
            "unit_no",
            "room",
            "use",
            "ownership",
            "rental_status",
            "area_m2",
            "owner_name",
            "owner_id_number",
            "owner_phone",
            "lng",
            "lat",
            "hazards",
        ),
    ),
    RecordKind.UNIT: KindPage(
        kind=RecordKind.UNIT,
        slug="units",
        model=Unit,
        title=gettext_lazy("实有单位"),
        sorts=_sorts(
            name=("name",),
            type=("type",),
            employees=("employees",),
            grid=("grid_path",),
        ),
        facts=(
            "name",
            "credit_code",
            "type",
            "address",
            "house",
            "legal_representative",
            "legal_representative_id_number",
            "phone",
            "employees",
            "security_officer",
            "security_officer_phone",
            "hazardous_chemicals",
            "hazardous_chemicals_note",
            "hazards",
            "lng",
            "lat",
        ),
    ),
    RecordKind.ORGANISATION: KindPage(
        kind=RecordKind.ORGANISATION,
        slug="organisations",
        model=Organisation,
        title=gettext_lazy("实有组织"),
        sorts=_sorts(name=("name",), kind=("kind",), members=("members",), grid=("grid_path",)),
        facts=(
            "name",
            "kind",
            "credit_code",
            "registration_number",
            "registering_authority",
            "unit",
            "region",
            "leader",
            "phone",
            "members",
            "address",
        ),
    ),
}

# Shown only for the population type they belong to.
FLOATING_FACTS = {"inflow_reason", "residence_type", "arrived_on"}
OVERSEAS_FACTS = {"nationality", "document_type", "document_number", "stay_purpose", "stay_until"}


def url_name(kind: str, view: str) -> str:
    """`registry-person-list` and the like: the URL names of the register pages."""
    return f"registry-{kind}-{view}"


def record_url(record) -> str:
    return reverse(url_name(MODEL_KINDS[type(record)], "detail"), args=[record.pk])


def _record_or_404(user, model, pk, action: str = Action.REGISTRY_VIEW):
    try:
        return access_record(user, model, pk, action)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _require_some_scope(user, action: str) -> None:
    """Pages without a record (lists, new records) need the action somewhere."""
    if user_scope(user, action).empty:
        raise PermissionDenied(_("您没有查看或维护登记信息的权限"))


def export_url(kind: str, query) -> str | None:
    """The export page of this list with its filters, if the import and export pages are
    installed (`registry-export`, taking the kind as the command line names it)."""
    try:
        url = reverse("registry-export", args=[KIND_PAGES[kind].slug])
    except NoReverseMatch:
        return None
    params = query.copy()
    params.pop("page", None)
    params.pop("sort", None)
    return f"{url}?{params.urlencode()}" if params else url


# --- lists ----------------------------------------------------------------------------------


@login_required
@require_GET
def record_list_page(request, kind: str):
    """A register's list: search, filters in a side panel, sortable columns, 50 a page."""
    page_conf = KIND_PAGES[kind]
    user = request.user
    _require_some_scope(user, Action.REGISTRY_VIEW)
    model = page_conf.model
    filterset = FILTERSETS[model](
        request.GET or None, queryset=record_list(user, model), request=request
    )
    catalogue = filterset.catalogue_fields
    sorts = dict(page_conf.sorts)
    for catalogue_field in catalogue:
        key = f"extra__{catalogue_field.key}"
        sorts[key] = (F(key).asc(nulls_last=True), "id")
        sorts[f"-{key}"] = (F(key).desc(nulls_last=True), "-id")
    sort = request.GET.get("sort") or next(iter(page_conf.sorts))
    if sort not in sorts:
        sort = next(iter(page_conf.sorts))
    rows = filterset.qs.order_by(*sorts[sort])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    may_reveal_somewhere = not user_scope(user, Action.PERSONAL_DATA_REVEAL).empty
    for record in page:
        record.catalogue_cells = [
            display_value(f, (record.extra or {}).get(f.key)) for f in catalogue
        ]
        if model is Person:
            record.visible_tag_labels = _tag_labels(services.visible_tags(user, record))
    for catalogue_field in catalogue:
        catalogue_field.is_number = catalogue_field.type == FieldType.NUMBER
    context = {
        **_urls(kind),
        "conf": page_conf,
        "kind": kind,
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "sort": sort,
        "catalogue": catalogue,
        "query": request.GET.get("q", ""),
        "may_change": not user_scope(user, Action.REGISTRY_CHANGE).empty,
        "export_url": (
            export_url(kind, request.GET)
            if not user_scope(user, Action.REGISTRY_EXPORT).empty
            else None
        ),
        "tag_choices": [
            (value, label)
            for value, label in PersonTag.choices
            if may_reveal_somewhere or value not in SENSITIVE_TAGS
        ],
        # Place filters have their own lists; record numbers are for the API and links;
        # ranges and the catalogue's filters have rows of their own.
        "handled_filters": (
            "q",
            "region",
            "grid",
            "household",
            "house",
            "unit",
            "age_min",
            "age_max",
        ),
        "catalogue_filter_names": filterset.catalogue_filter_names,
        "catalogue_filter_rows": filter_rows(filterset),
        "region_options": region_options(filter_regions(user)),
        "grids": filter_grids(user, filterset.region_asked()),
        "table_template": f"registry/_table_{kind}.html",
    }
    return render(request, "registry/list.html", context)


def filter_rows(filterset) -> list[tuple[str, list]]:
    """The side panel's rows for ranges and catalogue fields: (label, [from, to]) for age,
    numbers and dates, (label, [field]) for the others."""
    form = filterset.form
    rows: list[tuple[str, list]] = []
    if "age_min" in form.fields:
        rows.append((_("年龄"), [form["age_min"], form["age_max"]]))
    for catalogue_field in filterset.catalogue_fields:
        name = f"extra__{catalogue_field.key}"
        label = catalogue_field.label
        if catalogue_field.type in (FieldType.NUMBER, FieldType.DATE):
            if catalogue_field.unit:
                label = f"{label}（{catalogue_field.unit}）"
            rows.append((label, [form[f"{name}__min"], form[f"{name}__max"]]))
        else:
            rows.append((label, [form[name]]))
    return rows


def region_options(regions) -> list[tuple[str, str]]:
    """(code, name indented by level) for the region filter, in tree order."""
    regions = list(regions)
    top = min((r.depth for r in regions), default=0)
    return [(r.code, "\u3000" * (r.depth - top) + r.name) for r in regions]


def _urls(kind: str, record=None) -> dict[str, str]:
    """The links a register page shows: the list, a new record, and the record's own."""
    urls = {
        "list_url": reverse(url_name(kind, "list")),
        "create_url": reverse(url_name(kind, "create")),
        "kind_label": str(KIND_PAGES[kind].model._meta.verbose_name),
    }
    if record is not None:
        urls["detail_url"] = reverse(url_name(kind, "detail"), args=[record.pk])
        urls["update_url"] = reverse(url_name(kind, "update"), args=[record.pk])
        if kind != RecordKind.HOUSEHOLD:
            urls["reveal_url"] = reverse(url_name(kind, "reveal"), args=[record.pk])
    return urls


def _tag_labels(tags) -> list[str]:
    labels = dict(PersonTag.choices)
    return [str(labels.get(tag, tag)) for tag in tags]


# --- details --------------------------------------------------------------------------------


@dataclass
class Fact:
    """One line of a detail page: a field's label and its value as the user may see it."""

    name: str
    label: str
    value: str
    url: str | None = None
    masked: bool = False  # shown masked; the full value needs a reveal


def record_facts(user, record, names: tuple[str, ...]) -> list[Fact]:
    """The record's fields for its detail page: choices by label, references as links (when
    the user may open them), ID numbers and phones masked."""
    view_scope = user_scope(user, Action.REGISTRY_VIEW)
    facts = []
    for name in names:
        if isinstance(record, Person):
            if name in FLOATING_FACTS and record.population_type != PopulationType.FLOATING:
                continue
            if name in OVERSEAS_FACTS and record.population_type != PopulationType.OVERSEAS:
                continue
        model_field = record._meta.get_field(name)
        label = str(model_field.verbose_name)
        raw = getattr(record, name)
        url = None
        masked = False
        if name == "tags":
            value = "、".join(_tag_labels(services.visible_tags(user, record)))
        elif name in services.SENSITIVE_FIELDS:
            value = services.masked_value(record, name)
            masked = bool(raw)
        elif model_field.is_relation:
            value = str(raw) if raw is not None else ""
            grid_path = getattr(raw, "grid_path", None)
            if raw is not None and grid_path and view_scope.covers(grid_path):
                url = record_url(raw)
            elif raw is not None and name == "region":
                value = f"{raw.name}（{raw.code}）"
        elif model_field.choices:
            value = str(getattr(record, f"get_{name}_display")()) if raw else ""
        elif isinstance(raw, bool):
            value = _("是") if raw else _("否")
        elif raw is None:
            value = ""
        else:
            value = str(raw)
        facts.append(Fact(name, label, value, url, masked))
    return facts


def catalogue_facts(kind: str, record) -> list[Fact]:
    """The record's catalogue values, as their fields define them; values of fields no
    longer in the catalogue are kept and shown under their key."""
    extra = dict(record.extra or {})
    facts = []
    for catalogue_field in fields_for(kind, record.grid_path):
        value = extra.pop(catalogue_field.key, None)
        facts.append(
            Fact(catalogue_field.key, catalogue_field.label, display_value(catalogue_field, value))
        )
    for key, value in extra.items():
        shown = "、".join(map(str, value)) if isinstance(value, list) else str(value)
        facts.append(Fact(key, key, shown))
    return facts


@login_required
@require_GET
def record_detail_page(request, kind: str, pk: int):
    """One record: its fields, catalogue values, related records and history."""
    page_conf = KIND_PAGES[kind]
    user = request.user
    record = _record_or_404(user, page_conf.model, pk)
    context: dict[str, Any] = {
        **_urls(kind, record),
        "conf": page_conf,
        "kind": kind,
        "record": record,
        "facts": record_facts(user, record, page_conf.facts),
        "catalogue_facts": catalogue_facts(kind, record),
        "history": [
            # A creation lists every field; the empty ones say nothing.
            dataclasses.replace(entry, changes=[c for c in entry.changes if c.old or c.new])
            for entry in record_history(record, user=user)
        ],
        "may_change": user_scope(user, Action.REGISTRY_CHANGE).covers(record.grid_path),
        "may_reveal": services.can_reveal(user, record),
    }
    if isinstance(record, Person):
        context["picture"] = person_picture(user, record)
    elif isinstance(record, House):
        context["occupants"] = list(house_occupants(user, record))
        context["households"] = list(house_households(user, record))
        context["units"] = list(house_units(user, record))
    elif isinstance(record, Household):
        context["members"] = list(household_members(user, record))
    elif isinstance(record, Unit):
        context["organisations"] = list(unit_organisations(user, record))
        if record.legal_representative_id_number:
            context["representative"] = (
                records_for_user(user, Person)
                .filter(id_number=record.legal_representative_id_number)
                .first()
            )
    return render(request, "registry/detail.html", context)


# --- forms ----------------------------------------------------------------------------------


def _save(form, call) -> Any | None:
    """Run a service with the form's values; its refusal becomes a form error.

    A refusal leaves nothing written: the service's transaction is rolled back.
    """
    try:
        return call()
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise Http404(exc.message) from None
        form.add_service_error(exc)
    except PermissionDenied as exc:
        # Allowed on the record but not where the change would put it (another grid).
        form.add_error(None, str(exc))
    return None


@login_required
@require_http_methods(["GET", "POST"])
def record_create_page(request, kind: str):
    """A new record of `kind`: its fields and the catalogue's, in the grid the user picks."""
    page_conf = KIND_PAGES[kind]
    user = request.user
    _require_some_scope(user, Action.REGISTRY_CHANGE)
    # Choosing a grid (htmx reloads the form) narrows the catalogue fields to that grid's;
    # a POST keeps every field of the user's regions, and the service checks the grid's.
    grid = None
    if request.method == "GET" and request.GET.get("grid"):
        grid = filter_grids(user).filter(code=request.GET["grid"]).first()
    form = record_form(
        kind, user, data=request.POST if request.method == "POST" else None, grid=grid
    )
    if grid is not None:
        form.fields["grid"].initial = grid.code
    if request.method == "POST" and form.is_valid():
        service = services.KIND_SERVICES[kind][0]
        record = _save(
            form, lambda: service(actor=user, data=form.record_data(), extra=form.extra_data())
        )
        if record is not None:
            return redirect(record_url(record))
    return render(
        request,
        "registry/form.html",
        {**_urls(kind), "conf": page_conf, "kind": kind, "form": form, "record": None},
    )


@transaction.atomic
def _update(kind: str, user, record, form):
    """The update service, and for a household the change of head, as one change."""
    reason = form.cleaned_data.get("reason", "")
    saved = services.KIND_SERVICES[kind][1](
        actor=user,
        **{kind: record},
        data=form.record_data(),
        extra=form.extra_data(),
        reason=reason,
    )
    if kind == RecordKind.HOUSEHOLD:
        head = form.head_choice()
        if head is not None and head.pk != saved.head_id:
            saved = services.household_set_head(
                actor=user, household=saved, person=head, reason=reason
            )
    return saved


@login_required
@require_http_methods(["GET", "POST"])
def record_update_page(request, kind: str, pk: int):
    """Change a record; the reason given is kept in its history."""
    page_conf = KIND_PAGES[kind]
    user = request.user
    record = _record_or_404(user, page_conf.model, pk)
    if not user_scope(user, Action.REGISTRY_CHANGE).covers(record.grid_path):
        raise PermissionDenied(_("您没有修改该记录的权限"))
    form = record_form(
        kind, user, data=request.POST if request.method == "POST" else None, record=record
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(form, lambda: _update(kind, user, record, form))
        if saved is not None:
            return redirect(record_url(saved))
    return render(
        request,
        "registry/form.html",
        {**_urls(kind, record), "conf": page_conf, "kind": kind, "form": form, "record": record},
    )


# --- reveal ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def record_reveal_page(request, kind: str, pk: int):
    """查看完整信息: the full value of one masked field, once, after giving a reason.

    GET asks for the reason (a small form in place of the masked value, or a page without
    JavaScript); POST reveals the value through the service, which logs it.
    """
    page_conf = KIND_PAGES[kind]
    user = request.user
    record = _record_or_404(user, page_conf.model, pk)
    if not services.can_reveal(user, record):
        raise PermissionDenied(_("您没有查看完整个人信息的权限"))
    form = RevealForm(record, request.POST if request.method == "POST" else request.GET)
    value = None
    if request.method == "POST" and form.is_valid():
        try:
            value = services.personal_data_reveal(
                actor=user,
                record=record,
                field=form.cleaned_data["field"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    chosen = form.chosen()
    context = {
        **_urls(kind, record),
        "conf": page_conf,
        "kind": kind,
        "record": record,
        "form": form,
        "value": value,
        "field_name": chosen,
        "field_label": form.chosen_label(),
        "masked": services.masked_value(record, chosen) if chosen else "",
    }
    template = "registry/_reveal.html" if request.htmx else "registry/reveal.html"
    response = render(request, template, context)
    # The full value is shown once: never kept by a cache or the browser's history.
    response["Cache-Control"] = "no-store"
    return response
