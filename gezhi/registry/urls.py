"""The register pages under /registry/: for each kind a list, a record, a new record, an
edit, and the reveal of personal data (for kinds that hold any)."""

from django.urls import path

from gezhi.registry import views
from gezhi.registry.choices import RecordKind

urlpatterns = []
for page in views.KIND_PAGES.values():
    kind = {"kind": page.kind}
    urlpatterns += [
        path(
            f"{page.slug}/",
            views.record_list_page,
            kind,
            name=views.url_name(page.kind, "list"),
        ),
        path(
            f"{page.slug}/new/",
            views.record_create_page,
            kind,
            name=views.url_name(page.kind, "create"),
        ),
        path(
            f"{page.slug}/<int:pk>/",
            views.record_detail_page,
            kind,
            name=views.url_name(page.kind, "detail"),
        ),
        path(
            f"{page.slug}/<int:pk>/edit/",
            views.record_update_page,
            kind,
            name=views.url_name(page.kind, "update"),
        ),
    ]
    if page.kind != RecordKind.HOUSEHOLD:  # a household holds no personal data of its own
        urlpatterns.append(
            path(
                f"{page.slug}/<int:pk>/reveal/",
                views.record_reveal_page,
                kind,
                name=views.url_name(page.kind, "reveal"),
            )
        )
