import pytest
from rest_framework.test import APIClient


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def codes(response) -> set[str]:
    return {row["code"] for row in response.json()["results"]}


def test_township_manager_sees_own_subtree_only(world):
    response = api(world.township_manager).get("/api/v1/regions/", {"page_size": 100})
    assert response.status_code == 200
    assert codes(response) == {
        "320612001",
        "320612001001",
        "320612001001001",
        "320612001001002",
    }


def test_grid_worker_sees_only_their_grid(world):
    response = api(world.worker_a).get("/api/v1/regions/")
    assert codes(response) == {"320612001001001"}


@pytest.mark.parametrize("who", ["worker_b", "township_manager", "citizen", "outsider"])
def test_out_of_scope_region_is_a_404(world, who):
    user = world.cast[who]
    response = api(user).get(f"/api/v1/regions/{world.grid_c.code}/")
    assert response.status_code == 404


def test_department_clerk_sees_the_regions_the_department_serves(world):
    response = api(world.clerk).get("/api/v1/regions/", {"level": "grid"})
    assert codes(response) == {"320612001001001", "320612001001002", "320612101001001"}
