from rest_framework.routers import SimpleRouter

from gezhi.regions.api import DepartmentViewSet, RedrawViewSet, RegionViewSet

router = SimpleRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("departments", DepartmentViewSet, basename="department")
router.register("redraws", RedrawViewSet, basename="redraw")

urlpatterns = router.urls
