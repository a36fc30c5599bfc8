from django.urls import path

from gezhi.regions import views

urlpatterns = [
    path("", views.region_browser, name="region-browser"),
    path("<str:code>/", views.region_detail, name="region-detail"),
    path("<str:code>/children/", views.region_children, name="region-children"),
    path("<str:code>/map.geojson", views.region_map, name="region-map"),
]
