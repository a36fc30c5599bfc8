from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = [
    path("", include("gezhi.accounts.api_urls")),
    path("", include("gezhi.regions.api_urls")),
    path("", include("gezhi.registry.api_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("gezhi.accounts.urls")),
    path("regions/", include("gezhi.regions.urls")),
    path("registry/import/", include("gezhi.registry.urls_import")),
    path("registry/", include("gezhi.registry.urls")),
    path("", include("gezhi.web.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
