from django.contrib.auth import views as auth_views
from django.urls import path

from gezhi.accounts.views import LoginView, PasswordChangeDoneView, PasswordChangeView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", PasswordChangeView.as_view(), name="password-change"),
    path("password/done/", PasswordChangeDoneView.as_view(), name="password-change-done"),
]
