"""A township manager in a real browser: find a person by part of their name, open them, see
the ID number masked, reveal it with a reason, and see it in full."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gezhi.core.models import AuditEntry
from tests.conftest import PASSWORD
from tests.registry.records import ID_A3, make_records

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_open_and_reveal_an_id_number(world, page, login, live_server):
    records = make_records(world)
    login("township_manager", PASSWORD)

    page.goto(f"{live_server.url}/registry/people/")
    page.wait_for_load_state("networkidle")  # htmx is ready
    expect(page.locator("h1")).to_have_text("实有人口")
    expect(page.locator("table.records tbody tr")).to_have_count(4)

    # Typing part of a name narrows the list in place.
    page.fill("input[name=q]", "小明")
    rows = page.locator("table.records tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").first).to_have_text("张小明")
    masked = f"{ID_A3[:6]}********{ID_A3[-4:]}"
    expect(rows.first.locator("td.masked").first).to_have_text(masked)
    assert "q=" in page.url  # the search is in the address, for the back button

    rows.first.locator("a", has_text="张小明").click()
    page.wait_for_url(f"{live_server.url}/registry/people/{records.xiaoming.pk}/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text("张小明")
    id_cell = page.locator("dd[data-field=id_number]")
    expect(id_cell.locator(".masked")).to_have_text(masked)
    assert ID_A3 not in page.content()

    id_cell.get_by_text("查看完整信息").click()
    reason = id_cell.locator("input[name=reason]")
    expect(reason).to_be_visible()
    reason.fill("入户走访核对身份")
    id_cell.get_by_role("button", name="查看").click()
    expect(id_cell.locator(".revealed")).to_have_text(ID_A3)
    expect(id_cell).to_contain_text("本次查看已记录")

    entry = AuditEntry.objects.get(action="personal_data.reveal")
    assert (entry.actor_name, entry.object_id, entry.reason) == (
        "township_manager",
        str(records.xiaoming.pk),
        "入户走访核对身份",
    )
    assert entry.after == {"field": "id_number"}

    # Shown once: reloading the page shows it masked again.
    page.reload()
    expect(page.locator("dd[data-field=id_number] .masked")).to_have_text(masked)
    assert page.requests.foreign() == []


def test_filter_panel_and_sorting(world, page, login, live_server):
    make_records(world)
    login("county_manager", PASSWORD)
    page.goto(f"{live_server.url}/registry/households/")
    page.wait_for_load_state("networkidle")  # htmx is ready
    rows = page.locator("table.records tbody tr")
    expect(rows).to_have_count(2)
    # The catalogue's column and filter for the county.
    expect(page.locator("table.records thead")).to_contain_text("牦牛")
    page.fill("input[name=extra__yaks__min]", "10")
    page.locator("input[name=extra__yaks__min]").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("40 头")
    page.get_by_role("link", name="清除条件").click()
    page.wait_for_url(f"{live_server.url}/registry/households/")
    page.wait_for_load_state("networkidle")
    expect(rows).to_have_count(2)
    page.locator("th a.sort", has_text="牦牛").click()
    expect(rows.first).to_contain_text("C1")
    page.locator("th a.sort", has_text="牦牛").click()
    expect(rows.first).to_contain_text("A1")
    assert page.requests.foreign() == []
