"""The region pages: tree, search, region page, map data; all scoped like the API."""

from __future__ import annotations

import json
import math

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gezhi.regions.models import GridAssignment, Region
from gezhi.regions.services import grid_assign_worker
from tests.conftest import make_region, make_user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_need_a_login(world):
    for url in ("/regions/", f"/regions/{world.grid_a.code}/", "/regions/320612/map.geojson"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith("/login/")


def test_login_page_renders_in_chinese(db):
    response = Client().get("/login/")
    assert response.status_code == 200
    assert "登录格治" in response.content.decode()


def test_tree_starts_at_the_users_region_and_opens_it(world):
    response = client_for(world.township_manager).get("/regions/")
    assert response.status_code == 200
    roots = [r.code for r in response.context["roots"]]
    assert roots == [world.township_a.code]
    html = response.content.decode()
    # The single root is open: its children load as soon as the page does.
    assert f'hx-get="/regions/{world.township_a.code}/children/"' in html
    assert 'hx-trigger="load"' in html


def test_tree_node_children_are_loaded_on_demand(world):
    client = client_for(world.township_manager)
    response = client.get(f"/regions/{world.township_a.code}/children/")
    assert response.status_code == 200
    nodes = list(response.context["nodes"])
    assert [n.code for n in nodes] == [world.village_a.code]
    assert nodes[0].n_children == 2
    assert "金东社区" in response.content.decode()


def test_tree_node_outside_scope_is_a_404(world):
    client = client_for(world.township_manager)
    assert client.get(f"/regions/{world.county.code}/children/").status_code == 404
    assert client.get(f"/regions/{world.township_b.code}/children/").status_code == 404


def test_search_by_name_shows_the_path_the_user_may_see(world):
    response = client_for(world.township_manager).get("/regions/", {"q": "金东"})
    results = response.context["results"]
    assert [r.code for r in results] == [
        world.village_a.code,
        world.grid_a.code,
        world.grid_b.code,
    ]
    # The county is above the manager's scope: the path starts at the township.
    assert [a.code for a in results[1].visible_path] == [
        world.township_a.code,
        world.village_a.code,
    ]


def test_search_by_code_prefix(world):
    response = client_for(world.county_manager).get("/regions/", {"q": "320612101"})
    codes = [r.code for r in response.context["results"]]
    assert codes == [world.township_b.code, world.village_b.code, world.grid_c.code]


def test_search_does_not_find_regions_outside_scope(world):
    response = client_for(world.township_manager).get("/regions/", {"q": "石港"})
    assert response.context["results"] == []
    assert "石港一网格" not in response.content.decode()


def test_search_answers_htmx_with_the_results_only(world):
    response = client_for(world.township_manager).get(
        "/regions/", {"q": "金东"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results"
    )
    html = response.content.decode()
    assert "金东一网格" in html
    assert "<html" not in html


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("township_manager", "320612101"),
        ("township_manager", "320612"),
        ("worker_a", "320612001001002"),
        ("worker_b", "320612001001001"),
        ("citizen", "320612001001001"),
        ("outsider", "320612"),
        ("county_manager", "999999"),
    ],
)
def test_region_outside_scope_is_the_404_page(world, who, code):
    client = client_for(world.cast[who])
    response = client.get(f"/regions/{code}/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    assert client.get(f"/regions/{code}/map.geojson").status_code == 404


def test_breadcrumbs_show_only_ancestors_in_scope(world):
    response = client_for(world.township_manager).get(f"/regions/{world.grid_a.code}/")
    assert [a.code for a in response.context["ancestors"]] == [
        world.township_a.code,
        world.village_a.code,
    ]
    assert f'href="/regions/{world.county.code}/"' not in response.content.decode()

    response = client_for(world.worker_a).get(f"/regions/{world.grid_a.code}/")
    assert response.context["ancestors"] == []


def test_region_page_lists_children_with_map_and_legend(world):
    response = client_for(world.county_manager).get(f"/regions/{world.county.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert [c.code for c in response.context["page"]] == [
        world.township_a.code,
        world.township_b.code,
    ]
    assert 'data-src="/regions/320612/map.geojson"' in html
    assert "vendor/leaflet/leaflet.js" in html
    legend = [str(e["label"]) for e in response.context["legend"]]
    assert legend == ["县（区）", "乡镇（街道）"]
    assert response.context["grid_count"] == 3


def test_grid_page_shows_current_worker_and_history(world):
    now = timezone.now()
    former = make_user("former_worker")
    former.display_name = "钱前任"
    former.save(update_fields=["display_name"])
    GridAssignment.objects.filter(grid=world.grid_a).update(started_at=now)
    GridAssignment.objects.create(
        grid=world.grid_a,
        worker=former,
        started_at=now - timezone.timedelta(days=400),
        ended_at=now - timezone.timedelta(days=1),
    )
    response = client_for(world.township_manager).get(f"/regions/{world.grid_a.code}/")
    assert [a.worker for a in response.context["workers"]] == [world.worker_a]
    assert [a.worker for a in response.context["history"]] == [world.worker_a, former]
    html = response.content.decode()
    assert "网格员任职记录" in html
    assert "钱前任" in html


def test_grid_workers_phone_is_masked(world):
    world.worker_a.phone = "13912345678"
    world.worker_a.save(update_fields=["phone"])
    html = client_for(world.worker_a).get(f"/regions/{world.grid_a.code}/").content.decode()
    assert "139****5678" in html
    assert "13912345678" not in html


def _many_villages(world, count: int) -> None:
    for n in range(2, count + 2):
        make_region(f"320612001{n:03d}", f"村{n:03d}", "village", world.township_a)


def test_children_are_paginated_past_fifty_and_sortable(world):
    _many_villages(world, 55)  # 56 villages with 金东社区
    client = client_for(world.township_manager)
    page1 = client.get(f"/regions/{world.township_a.code}/")
    assert len(page1.context["page"]) == 50
    assert page1.context["page"].paginator.num_pages == 2
    page2 = client.get(f"/regions/{world.township_a.code}/", {"page": 2})
    assert len(page2.context["page"]) == 6

    by_code_desc = client.get(f"/regions/{world.township_a.code}/", {"sort": "-code"})
    assert by_code_desc.context["page"][0].code == "320612001056"
    by_area = client.get(f"/regions/{world.township_a.code}/", {"sort": "-area"})
    # Only 金东社区 has a boundary (an area); regions without one sort last.
    assert by_area.context["page"][0].code == world.village_a.code
    by_name = client.get(f"/regions/{world.township_a.code}/", {"sort": "name"})
    names = [c.name for c in by_name.context["page"]]
    assert names == sorted(names)


def test_children_table_answers_htmx_with_the_table_only(world):
    response = client_for(world.township_manager).get(
        f"/regions/{world.township_a.code}/",
        {"sort": "-code"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="children",
    )
    html = response.content.decode()
    assert html.lstrip().startswith("<section") or 'id="children"' in html
    assert "<html" not in html
    assert "金东社区" in html


def test_map_geojson_has_the_region_and_its_children(world):
    response = client_for(world.county_manager).get(f"/regions/{world.county.code}/map.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    roles = [(f["properties"]["code"], f["properties"]["role"]) for f in data["features"]]
    assert roles == [
        (world.county.code, "self"),
        (world.township_a.code, "child"),
        (world.township_b.code, "child"),
    ]
    child = data["features"][1]["properties"]
    assert child["url"] == f"/regions/{world.township_a.code}/"
    assert child["name"] == "金沙街道"
    assert child["colour"].startswith("#")


def test_map_of_a_grid_shows_its_neighbours_only_to_who_sees_the_village(world):
    def roles(user):
        response = client_for(user).get(f"/regions/{world.grid_a.code}/map.geojson")
        return [
            (f["properties"]["code"], f["properties"]["role"]) for f in response.json()["features"]
        ]

    assert roles(world.township_manager) == [
        (world.grid_a.code, "self"),
        (world.grid_b.code, "sibling"),
    ]
    # The grid worker may not see grid B: it is not on their map either.
    assert roles(world.worker_a) == [(world.grid_a.code, "self")]


def _circle(lng: float, lat: float, radius: float, points: int) -> dict:
    ring = [
        [
            round(lng + radius * math.cos(2 * math.pi * i / points), 7),
            round(lat + radius * math.sin(2 * math.pi * i / points), 7),
        ]
        for i in range(points)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_map_boundaries_are_simplified_and_rounded_for_display(world):
    detailed = make_region(
        "320612102", "兴仁镇", "township", world.county, _circle(120.75, 32.75, 0.2, 4000)
    )
    response = client_for(world.county_manager).get(f"/regions/{detailed.code}/map.geojson")
    ring = response.json()["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) < 1000
    assert all(len(str(x).split(".")[-1]) <= 6 for point in ring for x in point)
    stored = Region.objects.get(code=detailed.code).boundary["coordinates"][0]
    assert len(stored) == 4001


def test_base_map_tiles_come_from_the_setting(world, settings):
    client = client_for(world.county_manager)
    html = client.get(f"/regions/{world.county.code}/").content.decode()
    assert 'data-tile-url=""' in html

    settings.GEZHI_TILE_URL = "https://tiles.county.example/{z}/{x}/{y}.png"
    html = client.get(f"/regions/{world.county.code}/").content.decode()
    assert 'data-tile-url="https://tiles.county.example/{z}/{x}/{y}.png"' in html


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_pages_cost_the_same_queries_for_few_or_many_rows(world):
    client = client_for(world.township_manager)
    village_url = f"/regions/{world.village_a.code}/"
    few = (_queries(client, village_url), _queries(client, "/regions/", {"q": "金东"}))
    for n in range(3, 13):
        grid = make_region(f"320612001001{n:03d}", f"金东{n}网格", "grid", world.village_a)
        grid_assign_worker(actor=None, grid=grid, worker=make_user(f"gw{n}"))
    many = (_queries(client, village_url), _queries(client, "/regions/", {"q": "金东"}))
    assert many == few
