"""A township clerk in a real browser: search a grid, open the township, use the map."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_open_township_and_click_through_the_map(world, page, login, live_server):
    login("township_manager", PASSWORD)

    page.goto(f"{live_server.url}/regions/")
    page.fill("input[name=q]", "金东一网格")
    result = page.locator(".search-results tbody tr")
    expect(result).to_have_count(1)
    expect(result.locator("td").first).to_have_text("金东一网格")
    # The result shows where the grid lies, from the manager's township down.
    expect(result.locator("td.path")).to_have_text("金沙街道 › 金东社区")

    result.locator("td.path a", has_text="金沙街道").click()
    page.wait_for_url(f"{live_server.url}/regions/{world.township_a.code}/")
    expect(page.locator("h1")).to_contain_text("金沙街道")

    # The map draws the township's outline and one polygon per child, and the legend.
    expect(page.locator("#region-map[data-ready=true]")).to_have_count(1)
    expect(page.locator("#region-map path.gezhi-self")).to_have_count(1)
    expect(page.locator("#region-map path.gezhi-child")).to_have_count(1)
    legend = page.locator(".legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("乡镇（街道）")
    expect(legend).to_contain_text("村（社区）")

    page.locator("#region-map path.gezhi-child").first.click()
    page.wait_for_url(f"{live_server.url}/regions/{world.village_a.code}/")
    expect(page.locator("h1")).to_contain_text("金东社区")
    expect(page.locator("#region-map path.gezhi-child")).to_have_count(2)

    assert page.requests.foreign() == []


def test_tree_opens_level_by_level(world, page, login, live_server):
    login("township_manager", PASSWORD)
    page.goto(f"{live_server.url}/regions/")
    # The manager's one region is open from the start; its village loads by itself.
    village = page.locator(f'li[data-code="{world.village_a.code}"]')
    expect(village).to_be_visible()
    expect(page.locator(f'li[data-code="{world.grid_a.code}"]')).to_have_count(0)

    village.locator("> .tree-toggle").click()
    expect(page.locator(f'li[data-code="{world.grid_a.code}"]')).to_be_visible()
    expect(village).to_have_attribute("aria-expanded", "true")
    village.locator("> .tree-toggle").click()
    expect(page.locator(f'li[data-code="{world.grid_a.code}"]')).to_be_hidden()

    assert page.requests.foreign() == []


def test_grid_worker_sees_their_grid_and_no_further(world, page, login, live_server):
    login("worker_a", PASSWORD)
    page.goto(f"{live_server.url}/regions/{world.grid_a.code}/")
    expect(page.locator(".workers")).to_contain_text("worker_a")
    expect(page.locator("#region-map path.gezhi-self")).to_have_count(1)
    expect(page.locator("#region-map path.gezhi-sibling")).to_have_count(0)
    expect(page.locator(".breadcrumbs a")).to_have_text(["区域与网格"])

    response = page.goto(f"{live_server.url}/regions/{world.grid_b.code}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    assert re.search(r"/regions/\d+/$", page.url)
    assert page.requests.foreign() == []
