from django.conf import settings


def site(request):
    """Values every page needs: the base-map settings for Leaflet."""
    return {
        "GEZHI_TILE_URL": settings.GEZHI_TILE_URL,
        "GEZHI_TILE_ATTRIBUTION": settings.GEZHI_TILE_ATTRIBUTION,
    }
