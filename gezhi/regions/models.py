"""The region tree (county → township → village → area → grid), departments and grid workers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gezhi.regions.choices import Level, RedrawKind


class RegionQuerySet(models.QuerySet):
    def active(self, on=None):
        """Regions in force on the day `on` (today by default): started and not retired."""
        day = on or timezone.localdate()
        return self.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gt=day))

    def subtree(self, region: Region):
        """The region and everything under it."""
        return self.filter(path__startswith=region.path)

    def grids(self):
        return self.filter(level=Level.GRID)


class Region(models.Model):
    """A node of the place tree: a division with a GB/T 2260 or statistical code, or a grid.

    `path` is the materialised path of codes ("/320612/320612001/…/"), so a subtree is one
    prefix query. Regions are never deleted: redrawing retires them with `valid_to`.
    """

    code = models.CharField(_("代码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100, db_index=True)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("深度"), default=0, editable=False)
    boundary = models.JSONField(_("边界"), null=True, blank=True, help_text=_("GeoJSON 面"))
    # Bounding box and a label point, derived from the boundary, for fast filters and maps.
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    label_lng = models.FloatField(null=True, blank=True, editable=False)
    label_lat = models.FloatField(null=True, blank=True, editable=False)
    area_km2 = models.FloatField(_("面积（平方千米）"), null=True, blank=True, editable=False)
    valid_from = models.DateField(_("启用日期"), default=timezone.localdate)
    valid_to = models.DateField(_("停用日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_grid(self) -> bool:
        return self.level == Level.GRID

    @property
    def is_active(self) -> bool:
        today = timezone.localdate()
        return self.valid_from <= today and (self.valid_to is None or self.valid_to > today)

    def ancestor_codes(self) -> list[str]:
        return [code for code in self.path.strip("/").split("/") if code]

    def ancestors(self):
        """Ancestors from the root down, excluding the region itself."""
        codes = self.ancestor_codes()[:-1]
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]


class Department(models.Model):
    """A functional grid (功能网格): a department that receives cases in its remit.

    Not part of the place tree; it belongs to a region (the county whose department it is)
    and serves a set of regions.
    """

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(
        Region,
        verbose_name=_("所属区域"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    serves = models.ManyToManyField(
        Region, verbose_name=_("服务区域"), blank=True, related_name="serving_departments"
    )
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门（功能网格）")
        verbose_name_plural = _("部门（功能网格）")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class GridAssignmentQuerySet(models.QuerySet):
    def current(self, at=None):
        at = at or timezone.now()
        return self.filter(Q(started_at__lte=at), Q(ended_at__isnull=True) | Q(ended_at__gt=at))


class GridAssignment(models.Model):
    """A grid worker holding a grid for a time; the rows are the history of who held it when."""

    grid = models.ForeignKey(
        Region, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="assignments"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("网格员"),
        on_delete=models.PROTECT,
        related_name="grid_assignments",
    )
    is_primary = models.BooleanField(_("专职（主责）"), default=True)
    started_at = models.DateTimeField(_("开始"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束"), null=True, blank=True)

    objects = GridAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("网格员任职")
        verbose_name_plural = _("网格员任职")
        ordering = ["grid", "-is_primary", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid"],
                condition=Q(is_primary=True, ended_at__isnull=True),
                name="one_current_primary_worker_per_grid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grid.name} · {self.worker}"


class Redraw(models.Model):
    """One redrawing of grids (split, merge, replace), done as a single operation."""

    kind = models.CharField(_("类型"), max_length=16, choices=RedrawKind.choices)
    effective_on = models.DateField(_("生效日期"))
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("网格调整")
        verbose_name_plural = _("网格调整")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_on}"


class RedrawLink(models.Model):
    """Old grid → new grid within a redraw, with the share of the old grid's area it received."""

    redraw = models.ForeignKey(Redraw, on_delete=models.CASCADE, related_name="links")
    old = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="redrawn_into")
    new = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="redrawn_from")
    overlap_share = models.FloatField(_("面积占比"), default=1.0)

    class Meta:
        verbose_name = _("调整对应关系")
        verbose_name_plural = _("调整对应关系")
        constraints = [
            models.UniqueConstraint(fields=["redraw", "old", "new"], name="unique_redraw_link")
        ]

    def __str__(self) -> str:
        return f"{self.old_id} → {self.new_id}"


class BoundaryVersion(models.Model):
    """A counter bumped in the same transaction as any boundary change.

    Each process keeps its spatial index with the version it was built from and rebuilds when
    the stored version differs, so no process answers from a stale index after a redraw.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("边界版本")
        verbose_name_plural = _("边界版本")

    def __str__(self) -> str:
        return str(self.version)
