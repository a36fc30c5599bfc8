from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """Levels of the region tree, top to bottom. A deployment uses a subset (settings)."""

    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县（区）")
    TOWNSHIP = "township", _("乡镇（街道）")
    VILLAGE = "village", _("村（社区）")
    AREA = "area", _("片区")
    GRID = "grid", _("网格")


LEVEL_ORDER = [level.value for level in Level]


class RedrawKind(models.TextChoices):
    SPLIT = "split", _("拆分")
    MERGE = "merge", _("合并")
    REPLACE = "replace", _("重划")
