from rest_framework.routers import SimpleRouter

from gezhi.regions.api import DepartmentViewSet, RegionViewSet

router = SimpleRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("departments", DepartmentViewSet, basename="department")

urlpatterns = router.urls
