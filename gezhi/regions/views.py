"""Region pages: the tree browser with search, and a region's page with its map."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from gezhi.core.errors import NotFound
from gezhi.regions.selectors import (
    access_region,
    current_workers,
    region_roots_for_user,
    region_search,
    region_visible_ancestors,
)


@login_required
def region_browser(request):
    query = request.GET.get("q", "")
    results = region_search(request.user, query) if query else None
    roots = region_roots_for_user(request.user).order_by("code")
    return render(
        request, "regions/browser.html", {"query": query, "results": results, "roots": roots}
    )


@login_required
def region_detail(request, code):
    try:
        region = access_region(request.user, code)
    except NotFound as exc:
        raise Http404(exc.message) from None
    children = region.children.active().order_by("code")
    context = {
        "region": region,
        "children": children,
        "ancestors": region_visible_ancestors(request.user, region),
        "workers": current_workers(region) if region.is_grid else None,
    }
    return render(request, "regions/detail.html", context)
