from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "gezhi.registry"
    label = "registry"
    verbose_name = _("四实基础数据")
