from django.urls import path
from rest_framework.routers import SimpleRouter

from gezhi.registry.api import (
    CatalogueFieldViewSet,
    CatalogueTotalsView,
    HouseholdViewSet,
    HouseViewSet,
    OrganisationViewSet,
    PersonViewSet,
    UnitViewSet,
)

router = SimpleRouter()
router.register("people", PersonViewSet, basename="person")
router.register("households", HouseholdViewSet, basename="household")
router.register("houses", HouseViewSet, basename="house")
router.register("units", UnitViewSet, basename="unit")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("catalogue-fields", CatalogueFieldViewSet, basename="catalogue-field")

urlpatterns = [
    path(
        "regions/<str:code>/catalogue-totals/",
        CatalogueTotalsView.as_view(),
        name="region-catalogue-totals",
    ),
    *router.urls,
]
