"""The API docs page renders the schema with no internet: every asset comes from our server."""

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_lists_the_endpoints_offline(world, page, login, live_server):
    login("county_manager", PASSWORD)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/regions/" in paths
    assert "/api/v1/regions/locate/" in paths
    assert page.requests.foreign() == []
