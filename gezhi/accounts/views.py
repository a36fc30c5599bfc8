"""Login, logout and password change pages."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _

from gezhi.core.audit import audit_record


def locked_message(locked_until) -> str:
    """What a locked-out user is told: that the account is locked, and until when."""
    local = timezone.localtime(locked_until)
    when = (
        local.strftime("%H:%M")
        if local.date() == timezone.localdate()
        else f"{local:%Y-%m-%d %H:%M}"
    )
    return _("登录失败次数过多，账号已锁定至 %(time)s，请稍后再试或联系安全管理员。") % {
        "time": when
    }


class LockMessageMixin:
    """Replace the generic "wrong username or password" by the lock notice when locked."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            locked_until = getattr(self.request, "gezhi_locked_until", None)
            if locked_until:
                raise ValidationError(locked_message(locked_until), code="locked") from None
            raise


class LoginForm(LockMessageMixin, AuthenticationForm):
    """The login form, which says when an account is locked and until when."""


class AdminLoginForm(LockMessageMixin, AdminAuthenticationForm):
    """The Django admin's login form, with the same lock notice."""


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password; the password rules apply and the change is audited."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("password-change-done")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            audit_record(
                actor=self.request.user, action="user.password_change", obj=self.request.user
            )
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
