from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from gezhi.regions.selectors import region_roots_for_user


@login_required
def home(request):
    """The start page: the regions this user works in."""
    roots = region_roots_for_user(request.user).order_by("code")
    return render(request, "web/home.html", {"roots": roots})
