from django.urls import path
from rest_framework.routers import SimpleRouter

from gezhi.regions.api import DepartmentViewSet, RedrawViewSet, RegionViewSet
from gezhi.regions.api_locate import LocateView

router = SimpleRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("departments", DepartmentViewSet, basename="department")
router.register("redraws", RedrawViewSet, basename="redraw")

urlpatterns = [
    # Before the router: its regions/{code}/ would otherwise take "locate" for a code.
    path("regions/locate/", LocateView.as_view(), name="region-locate"),
    *router.urls,
]
