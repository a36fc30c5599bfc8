from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "gezhi.registry"
    label = "registry"
    verbose_name = _("四实基础数据")

    def ready(self) -> None:
        from gezhi.regions.rehome import register_rehome
        from gezhi.registry.services.rehome import rehome_registry

        # A redraw moves the registers' records off the retired grids in its own transaction.
        register_rehome(rehome_registry)
