from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


class LoginForm(AuthenticationForm):
    """The login form, which says when an account is locked and until when."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            locked_until = getattr(self.request, "gezhi_locked_until", None)
            if locked_until:
                local = timezone.localtime(locked_until).strftime("%H:%M")
                raise ValidationError(
                    _("登录失败次数过多，账号已锁定至 %(time)s，请稍后再试或联系安全管理员。")
                    % {"time": local},
                    code="locked",
                ) from None
            raise


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
