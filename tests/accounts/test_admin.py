"""The operators' admin: permissions from roles and scope, writes through services, audited."""

import json

import pytest
from django.contrib import admin
from django.test import Client
from django.utils import timezone

from gezhi.accounts.choices import Role
from gezhi.accounts.models import Membership, User
from gezhi.core.audit import audit_verify
from gezhi.core.models import AuditEntry
from gezhi.regions.models import Department, GridAssignment, Region
from gezhi.regions.services import redraw_grids
from tests.conftest import make_user, square

STRONG = "Qiao-lu-2026!x"


def staff(user) -> Client:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


def form_data(response) -> dict:
    """The POST body the admin page would send back unchanged: its form and inline formsets."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if hasattr(value, "pk"):
            value = value.pk
        elif isinstance(value, list | tuple):
            value = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, dict):
            value = json.dumps(value)
        data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
    return data


def audit_actions_since(seq) -> list[str]:
    return list(
        AuditEntry.objects.filter(seq__gt=seq).order_by("seq").values_list("action", flat=True)
    )


def last_seq() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.fixture
def root(world):
    return User.objects.create_superuser("root", password=STRONG)


# --- getting in ----------------------------------------------------------------------------


def test_non_staff_cannot_open_the_admin(world):
    client = Client()
    client.force_login(world.admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_staff_without_a_role_sees_nothing(world):
    client = staff(world.outsider)
    assert client.get("/admin/").status_code == 200
    for url in ["/admin/regions/region/", "/admin/accounts/user/", "/admin/core/auditentry/"]:
        assert client.get(url).status_code == 403, url


# --- the audit log -------------------------------------------------------------------------


def test_auditor_reads_the_audit_log(world):
    client = staff(world.auditor)
    entry = AuditEntry.objects.filter(action="region.create").latest("seq")
    response = client.get("/admin/core/auditentry/", {"action": "region.create"})
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert entry in rows
    assert {row.action for row in rows} == {"region.create"}
    response = client.get("/admin/core/auditentry/", {"q": world.grid_c.code})
    assert {row.object_id for row in response.context["cl"].result_list} == {str(world.grid_c.pk)}
    assert client.get(f"/admin/core/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/core/audithead/").status_code == 200


@pytest.mark.parametrize("who", ["auditor", "root"])
def test_nobody_writes_the_audit_log_through_the_admin(world, root, who):
    client = staff(root if who == "root" else world.auditor)
    entry = AuditEntry.objects.order_by("seq").first()
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    response = client.post(
        f"/admin/core/auditentry/{entry.pk}/change/", {"action": "forged", "object_repr": "x"}
    )
    assert response.status_code == 403
    assert (
        client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    response = client.post(
        "/admin/core/auditentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert AuditEntry.objects.filter(pk=entry.pk, action=entry.action).exists()
    assert client.get("/admin/core/audithead/1/delete/").status_code == 403
    assert audit_verify().ok


@pytest.mark.parametrize("who", ["admin", "county_manager"])
def test_only_the_auditor_reads_the_audit_log(world, who):
    assert staff(world.cast[who]).get("/admin/core/auditentry/").status_code == 403


def test_security_admin_does_not_read_the_audit_log(world, security_admin):
    assert staff(security_admin).get("/admin/core/auditentry/").status_code == 403


def test_nothing_is_deletable_in_the_admin(world, root):
    client = staff(root)
    request = client.get("/admin/").wsgi_request
    ours = [m for m in admin.site._registry if m._meta.app_label in ("core", "accounts", "regions")]
    assert {Region, Department, GridAssignment, Membership, User, AuditEntry} <= set(ours)
    for model in ours:
        assert not admin.site._registry[model].has_delete_permission(request), model


# --- regions -------------------------------------------------------------------------------


def test_region_list_search_and_filter(world):
    client = staff(world.admin)
    response = client.get("/admin/regions/region/", {"q": "320612101"})
    page = response.content.decode()
    assert "石港镇" in page and "金沙街道" not in page
    response = client.get("/admin/regions/region/", {"level__exact": "grid"})
    page = response.content.decode()
    assert "金东一网格" in page and "石港镇" not in page


def test_region_page_shows_derived_fields_read_only(world):
    response = staff(world.admin).get(f"/admin/regions/region/{world.grid_a.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    for name in ("path", "depth", "code", "level", "parent", "area_km2"):
        assert name not in form.fields
    assert world.grid_a.path in response.content.decode()


def test_region_manager_sees_only_their_subtree(world):
    client = staff(world.township_manager)
    page = client.get("/admin/regions/region/").content.decode()
    assert "金东一网格" in page and "石港一网格" not in page
    response = client.get(f"/admin/regions/region/{world.grid_c.pk}/change/")
    assert response.status_code == 302  # "does not exist", like any missing object
    assert Region.objects.get(pk=world.grid_c.pk).name == "石港一网格"


def test_admin_creates_a_region_through_the_service(world):
    client = staff(world.admin)
    seq = last_seq()
    response = client.post(
        "/admin/regions/region/add/",
        {
            "code": "320612001001003",
            "name": "金东三网格",
            "level": "grid",
            "parent": world.village_a.pk,
            "boundary": "",
            "valid_from": timezone.localdate().isoformat(),
            "children-TOTAL_FORMS": 0,
            "children-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    region = Region.objects.get(code="320612001001003")
    assert region.path == world.village_a.path + "320612001001003/"
    assert region.depth == world.village_a.depth + 1
    entry = AuditEntry.objects.get(seq__gt=seq, action="region.create")
    assert entry.actor_id == world.admin.pk


def test_a_bad_region_is_refused_with_the_reason(world):
    client = staff(world.admin)
    seq = last_seq()
    response = client.post(
        "/admin/regions/region/add/",
        {
            "code": "320612101001002",  # not under village A's code
            "name": "错网格",
            "level": "grid",
            "parent": world.village_a.pk,
            "boundary": "",
            "valid_from": timezone.localdate().isoformat(),
            "children-TOTAL_FORMS": 0,
            "children-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"]
    # A grid sticking far out of its village.
    response = client.post(
        "/admin/regions/region/add/",
        {
            "code": "320612001001009",
            "name": "出界网格",
            "level": "grid",
            "parent": world.village_a.pk,
            "boundary": '{"type":"Polygon","coordinates":[[[120,32],[121,32],[121,33],[120,33],[120,32]]]}',
            "valid_from": timezone.localdate().isoformat(),
            "children-TOTAL_FORMS": 0,
            "children-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["boundary"]
    assert not Region.objects.filter(code__in=["320612101001002", "320612001001009"]).exists()
    assert last_seq() == seq


def test_admin_renames_a_region_and_it_is_audited(world):
    client = staff(world.admin)
    url = f"/admin/regions/region/{world.grid_a.pk}/change/"
    data = form_data(client.get(url))
    data["name"] = "金东第一网格"
    seq = last_seq()
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Region.objects.get(pk=world.grid_a.pk).name == "金东第一网格"
    entry = AuditEntry.objects.get(seq__gt=seq, action="region.update")
    assert entry.before["name"] == "金东一网格"
    assert entry.after["name"] == "金东第一网格"


def test_region_boundary_edit_goes_through_validation(world):
    client = staff(world.admin)
    url = f"/admin/regions/region/{world.grid_a.pk}/change/"
    data = form_data(client.get(url))
    data["boundary"] = json.dumps(square(120.0, 32.0, 120.2, 32.5))
    seq = last_seq()
    assert client.post(url, data).status_code == 302
    grid = Region.objects.get(pk=world.grid_a.pk)
    assert grid.max_lng == pytest.approx(120.2)
    assert "region.update" in audit_actions_since(seq)
    data["boundary"] = '{"type":"Polygon","coordinates":[[[120,32],[120,32],[120,32]]]}'
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["boundary"]


def test_regions_are_never_deleted(world, root):
    client = staff(root)
    response = client.post(f"/admin/regions/region/{world.grid_c.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Region.objects.filter(pk=world.grid_c.pk).exists()


@pytest.mark.parametrize("who", ["security", "auditor"])
def test_security_admin_and_auditor_do_not_change_regions(world, security_admin, who):
    user = security_admin if who == "security" else world.auditor
    client = staff(user)
    url = f"/admin/regions/region/{world.grid_a.pk}/change/"
    response = client.get(url)
    assert response.status_code == 200  # they may look
    assert "name" not in response.context["adminform"].form.fields
    response = client.post(url, {"name": "改名"})
    assert response.status_code == 403
    assert client.get("/admin/regions/region/add/").status_code == 403
    assert Region.objects.get(pk=world.grid_a.pk).name == "金东一网格"


# --- departments, grid workers, redraws ----------------------------------------------------


def test_department_change_goes_through_the_service(world):
    client = staff(world.admin)
    url = f"/admin/regions/department/{world.department.pk}/change/"
    data = form_data(client.get(url))
    data["serves"] = [world.township_a.pk, world.township_b.pk]
    data["phone"] = "0513-12345"
    seq = last_seq()
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    department = Department.objects.get(pk=world.department.pk)
    assert set(department.serves.values_list("code", flat=True)) == {"320612001", "320612101"}
    entry = AuditEntry.objects.get(seq__gt=seq, action="department.update")
    assert entry.after["serves"] == ["320612001", "320612101"]


def test_grid_assignment_through_the_service(world):
    client = staff(world.admin)
    seq = last_seq()
    response = client.post(
        "/admin/regions/gridassignment/add/",
        {
            "grid": world.grid_c.pk,
            "worker": world.worker_b.pk,
            "is_primary": "on",
            "started_at_0": timezone.localdate().isoformat(),
            "started_at_1": "08:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert GridAssignment.objects.current().filter(grid=world.grid_c, worker=world.worker_b)
    assert "grid.assign" in audit_actions_since(seq)

    assignment = GridAssignment.objects.get(grid=world.grid_c, ended_at__isnull=True)
    response = client.post(
        "/admin/regions/gridassignment/",
        {"action": "release", "_selected_action": [assignment.pk]},
    )
    assert response.status_code == 302
    assert GridAssignment.objects.get(pk=assignment.pk).ended_at is not None
    assert "grid.release" in audit_actions_since(seq)


def test_township_manager_cannot_assign_outside_their_township(world):
    client = staff(world.township_manager)
    response = client.post(
        "/admin/regions/gridassignment/add/",
        {
            "grid": world.grid_c.pk,
            "worker": world.worker_b.pk,
            "is_primary": "on",
            "started_at_0": timezone.localdate().isoformat(),
            "started_at_1": "08:00:00",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["grid"]
    assert not GridAssignment.objects.filter(grid=world.grid_c).exists()


def test_redraws_are_read_only(world):
    redraw = redraw_grids(
        actor=None,
        kind="split",
        old_grids=[world.grid_c],
        new_grids=[
            {
                "code": "320612101001002",
                "name": "石港二网格",
                "boundary": square(120.5, 32.0, 120.75, 32.5),
            },
            {
                "code": "320612101001003",
                "name": "石港三网格",
                "boundary": square(120.75, 32.0, 121.0, 32.5),
            },
        ],
    )
    client = staff(world.admin)
    assert client.get(f"/admin/regions/redraw/{redraw.pk}/change/").status_code == 200
    assert client.get("/admin/regions/redraw/add/").status_code == 403
    response = client.post(f"/admin/regions/redraw/{redraw.pk}/change/", {"note": "x"})
    assert response.status_code == 403
    # Not in township A: its manager does not see it.
    assert (
        staff(world.township_manager).get("/admin/regions/redraw/").context["cl"].result_count == 0
    )


# --- accounts ------------------------------------------------------------------------------


def test_security_admin_creates_an_account_in_the_admin(world, security_admin):
    client = staff(security_admin)
    base = {"username": "lisi", "display_name": "李四", "usable_password": "true"}
    response = client.post(
        "/admin/accounts/user/add/",
        {**base, "password1": "abcdefghijkl", "password2": "abcdefghijkl"},
    )
    assert response.status_code == 200
    assert "至少 3 类" in response.content.decode()
    assert not User.objects.filter(username="lisi").exists()

    seq = last_seq()
    response = client.post(
        "/admin/accounts/user/add/", {**base, "password1": STRONG, "password2": STRONG}
    )
    assert response.status_code == 302
    user = User.objects.get(username="lisi")
    assert user.check_password(STRONG)
    entry = AuditEntry.objects.get(seq__gt=seq, action="user.create")
    assert entry.actor_id == security_admin.pk
    assert audit_actions_since(seq).count("user.create") == 1


def test_system_admin_only_looks_at_accounts(world):
    client = staff(world.admin)
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/accounts/user/add/").status_code == 403
    url = f"/admin/accounts/user/{world.worker_a.pk}/change/"
    password_url = f"/admin/accounts/user/{world.worker_a.pk}/password/"
    assert client.post(url, {"username": "renamed"}).status_code == 403
    assert client.post(password_url, {"password1": STRONG, "password2": STRONG}).status_code == 403
    assert User.objects.filter(username="worker_a").exists()


def test_membership_granted_through_the_user_page(world, security_admin):
    client = staff(security_admin)
    url = f"/admin/accounts/user/{world.outsider.pk}/change/"
    response = client.get(url)
    data = form_data(response)
    new = next(
        i.formset for i in response.context["inline_admin_formsets"] if i.formset.extra_forms
    )
    data[f"{new.prefix}-0-role"] = Role.REGION_MANAGER
    data[f"{new.prefix}-0-region"] = world.township_b.pk
    seq = last_seq()
    response = client.post(url, data)
    assert response.status_code == 302, response.context and [
        f.errors for i in response.context["inline_admin_formsets"] for f in i.formset.forms
    ]
    membership = world.outsider.memberships.get()
    assert (membership.role, membership.region_id) == (Role.REGION_MANAGER, world.township_b.pk)
    assert audit_actions_since(seq) == ["membership.grant"]  # the account itself did not change


def test_membership_form_shows_the_services_reason(world, security_admin):
    client = staff(security_admin)
    response = client.post(
        "/admin/accounts/membership/add/",
        {
            "user": world.auditor.pk,
            "role": Role.SYSTEM_ADMIN,
            "valid_from_0": timezone.localdate().isoformat(),
            "valid_from_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    assert "三权分立" in response.content.decode()
    assert not world.auditor.memberships.filter(role=Role.SYSTEM_ADMIN).exists()


def test_membership_end_action(world, security_admin):
    client = staff(security_admin)
    membership = world.township_manager.memberships.get()
    seq = last_seq()
    response = client.post(
        "/admin/accounts/membership/", {"action": "end", "_selected_action": [membership.pk]}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.valid_to is not None
    assert audit_actions_since(seq) == ["membership.end"]


def test_unlock_action(world, security_admin):
    User.objects.filter(pk=world.worker_a.pk).update(
        locked_until=timezone.now() + timezone.timedelta(minutes=10)
    )
    client = staff(security_admin)
    page = client.get("/admin/accounts/user/", {"locked": "yes"}).content.decode()
    assert "worker_a" in page and "worker_b" not in page
    seq = last_seq()
    response = client.post(
        "/admin/accounts/user/", {"action": "unlock", "_selected_action": [world.worker_a.pk]}
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=world.worker_a.pk).is_locked
    assert audit_actions_since(seq) == ["user.unlock"]


def test_unlock_action_is_not_offered_to_the_system_admin(world):
    User.objects.filter(pk=world.worker_a.pk).update(
        locked_until=timezone.now() + timezone.timedelta(minutes=10)
    )
    client = staff(world.admin)
    client.post(
        "/admin/accounts/user/", {"action": "unlock", "_selected_action": [world.worker_a.pk]}
    )
    assert User.objects.get(pk=world.worker_a.pk).is_locked


def test_password_reset_in_the_admin_is_audited(world, security_admin):
    victim = Client()
    victim.force_login(world.worker_a)
    assert victim.get("/").status_code == 200
    client = staff(security_admin)
    seq = last_seq()
    response = client.post(
        f"/admin/accounts/user/{world.worker_a.pk}/password/",
        {"password1": STRONG, "password2": STRONG, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=world.worker_a.pk).check_password(STRONG)
    assert audit_actions_since(seq) == ["user.password_set"]
    assert victim.get("/").status_code == 302  # their open session ended with the old password


def test_account_change_is_audited_with_before_and_after(world, security_admin):
    client = staff(security_admin)
    url = f"/admin/accounts/user/{world.worker_b.pk}/change/"
    data = form_data(client.get(url))
    data.pop("is_active", None)  # unticked: deactivate the account
    seq = last_seq()
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not User.objects.get(pk=world.worker_b.pk).is_active
    entry = AuditEntry.objects.get(seq__gt=seq, action="user.update")
    assert entry.before["is_active"] is True and entry.after["is_active"] is False


def test_security_admin_cannot_touch_a_superuser_or_make_one(world, security_admin, root):
    client = staff(security_admin)
    url = f"/admin/accounts/user/{root.pk}/change/"
    assert client.post(url, {"username": "root", "is_active": ""}).status_code == 403
    assert User.objects.get(pk=root.pk).is_active
    url = f"/admin/accounts/user/{world.worker_b.pk}/change/"
    data = form_data(client.get(url))
    data["is_superuser"] = "on"
    client.post(url, data)
    assert not User.objects.get(pk=world.worker_b.pk).is_superuser


def test_regional_security_admin_sees_their_accounts_and_new_ones(world):
    regional = make_user("security_b", Role.SECURITY_ADMIN, world.township_b)
    newcomer = make_user("newcomer")
    client = staff(regional)
    names = {u.username for u in client.get("/admin/accounts/user/").context["cl"].result_list}
    assert "newcomer" in names  # not placed yet: theirs to place
    assert "worker_a" not in names  # township A
    assert newcomer.pk


@pytest.mark.parametrize("who", ["root", "admin", "security", "auditor", "township_manager"])
def test_every_admin_page_renders(world, root, security_admin, who):
    user = {"root": root, "security": security_admin}.get(who) or world.cast[who]
    client = staff(user)
    membership = world.worker_a.memberships.first()
    samples = {
        Region: world.grid_a,
        Department: world.department,
        GridAssignment: GridAssignment.objects.filter(grid=world.grid_a).first(),
        Membership: membership,
        User: world.worker_a,
        AuditEntry: AuditEntry.objects.first(),
    }
    assert client.get("/admin/").status_code == 200
    for model in admin.site._registry:
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        assert client.get(base).status_code in (200, 403), base
        assert client.get(base + "add/").status_code in (200, 403), base
        if model in samples:
            url = f"{base}{samples[model].pk}/change/"
            assert client.get(url).status_code in (200, 302, 403), url


def test_the_admin_never_shows_api_token_keys():
    from django.contrib import admin
    from rest_framework.authtoken.models import Token, TokenProxy

    assert TokenProxy not in admin.site._registry
    assert Token not in admin.site._registry


def test_status_filters_split_in_force_from_ended(world, root):
    world.grid_c.valid_to = timezone.localdate()
    world.grid_c.save(update_fields=["valid_to"])
    assignment = GridAssignment.objects.get(grid=world.grid_b)
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])
    client = Client()
    client.force_login(root)

    def listed(url, **query):
        return {str(obj.pk) for obj in client.get(url, query).context["cl"].result_list}

    retired = listed("/admin/regions/region/", active="no")
    assert str(world.grid_c.pk) in retired and str(world.grid_a.pk) not in retired
    assert str(world.grid_c.pk) not in listed("/admin/regions/region/", active="yes")
    ended = listed("/admin/regions/gridassignment/", current="no")
    assert ended == {str(assignment.pk)}
    current = listed("/admin/accounts/membership/", current="yes")
    assert str(world.township_manager.memberships.get().pk) in current
    assert listed("/admin/accounts/membership/", current="no") == set()
