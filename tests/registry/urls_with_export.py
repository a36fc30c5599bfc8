"""The project's URLs with an export page stand-in, for the list's export button."""

from django.http import HttpResponse
from django.urls import path

from gezhi.urls import urlpatterns as project_urlpatterns


def export_stand_in(request, kind):
    return HttpResponse(kind)


urlpatterns = [
    path("export-stand-in/<slug:kind>/", export_stand_in, name="registry-export"),
    *project_urlpatterns,
]
