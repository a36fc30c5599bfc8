"""The OpenAPI schema and the API docs page work with no internet."""

import re

import yaml
from django.test import Client


def test_schema_is_valid_openapi_with_the_v1_paths(world):
    client = Client()
    client.force_login(world.admin)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/regions/" in schema["paths"]
    assert "/api/v1/regions/{code}/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_docs_page_loads_only_local_assets(world):
    client = Client()
    client.force_login(world.admin)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("drf_spectacular_sidecar/swagger-ui-dist" in url for url in urls)
    assert not [url for url in urls if url.startswith(("http:", "https:", "//"))]
