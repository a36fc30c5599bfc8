from django.urls import path

from gezhi.web.views import home

urlpatterns = [path("", home, name="home")]
