from django.urls import path

from gezhi.accounts.api import me

urlpatterns = [path("me/", me, name="api-me")]
