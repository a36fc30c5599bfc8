from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gezhi.regions.selectors import region_roots_for_user


@login_required
@require_GET
def home(request):
    """The start page: the regions this user works in."""
    roots = region_roots_for_user(request.user).order_by("code")
    return render(request, "web/home.html", {"roots": roots})
