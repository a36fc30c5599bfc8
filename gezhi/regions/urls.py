from django.urls import path

from gezhi.regions import views

urlpatterns = [
    path("", views.region_browser, name="region-browser"),
    path("<str:code>/", views.region_detail, name="region-detail"),
]
