"""The import and export pages of the registers, under /registry/import/."""

from django.urls import path

from gezhi.registry import views_import

urlpatterns = [
    path("", views_import.import_page, name="registry-import"),
    path("confirm/", views_import.import_confirm, name="registry-import-confirm"),
    path("report/", views_import.import_report, name="registry-import-report"),
    path("template/<slug:kind>/", views_import.import_template, name="registry-import-template"),
    path("export/<slug:kind>/", views_import.export_page, name="registry-export"),
]
