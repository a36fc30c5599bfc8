from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from gezhi.regions.choices import RedrawKind
from gezhi.regions.models import Department, GridAssignment, Redraw, RedrawLink, Region


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Region
        fields = [
            "code",
            "name",
            "level",
            "level_display",
            "parent_code",
            "path",
            "depth",
            "area_km2",
            "label_lng",
            "label_lat",
            "valid_from",
            "valid_to",
        ]


class RegionDetailSerializer(RegionSerializer):
    class Meta(RegionSerializer.Meta):
        fields = [*RegionSerializer.Meta.fields, "boundary"]


class GridAssignmentSerializer(serializers.ModelSerializer):
    grid_code = serializers.CharField(source="grid.code", read_only=True)
    worker_username = serializers.CharField(source="worker.username", read_only=True)
    worker_name = serializers.CharField(source="worker.__str__", read_only=True)

    class Meta:
        model = GridAssignment
        fields = [
            "id",
            "grid_code",
            "worker_username",
            "worker_name",
            "is_primary",
            "started_at",
            "ended_at",
        ]


class DepartmentSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    serves = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Department
        fields = ["code", "name", "region_code", "serves", "phone", "is_active"]


# --- Writes: grid workers, departments, redraws ----------------------------------------------


class GridWorkerAssignSerializer(serializers.Serializer):
    """Body of POST /regions/{code}/workers/."""

    worker = serializers.CharField(help_text=_("网格员的账号"))
    is_primary = serializers.BooleanField(default=True, help_text=_("是否专职（主责）"))
    started_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("开始时间，默认为现在")
    )


class DepartmentCreateSerializer(serializers.Serializer):
    """Body of POST /departments/."""

    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=100)
    region = serializers.CharField(help_text=_("所属区域的代码"))
    serves = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=_("服务区域的代码")
    )
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class DepartmentUpdateSerializer(serializers.Serializer):
    """Body of PATCH /departments/{code}/: only the fields given change."""

    name = serializers.CharField(max_length=100, required=False)
    serves = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=_("服务区域的代码（整体替换）")
    )
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class NewGridSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=15)
    name = serializers.CharField(max_length=100)
    boundary = serializers.JSONField(help_text=_("GeoJSON Polygon 或 MultiPolygon（WGS-84）"))
    parent = serializers.CharField(
        required=False, allow_blank=True, help_text=_("上级代码，默认为原网格的共同上级")
    )


class RedrawCreateSerializer(serializers.Serializer):
    """Body of POST /redraws/."""

    kind = serializers.ChoiceField(choices=RedrawKind.choices)
    old_grids = serializers.ListField(
        child=serializers.CharField(), allow_empty=False, help_text=_("原网格代码")
    )
    new_grids = NewGridSerializer(many=True, allow_empty=False)
    effective_on = serializers.DateField(required=False, help_text=_("生效日期，默认为今天"))
    note = serializers.CharField(required=False, allow_blank=True, default="")
    workers = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        required=False,
        help_text=_("新网格代码 → 专职网格员账号（null 表示暂不指派）；未列出的沿用原网格员"),
    )


class RedrawLinkSerializer(serializers.ModelSerializer):
    old = serializers.CharField(source="old.code", read_only=True)
    new = serializers.CharField(source="new.code", read_only=True)

    class Meta:
        model = RedrawLink
        fields = ["old", "new", "overlap_share"]


class RedrawSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)
    old_grids = serializers.SerializerMethodField()
    new_grids = serializers.SerializerMethodField()
    links = RedrawLinkSerializer(many=True, read_only=True)

    class Meta:
        model = Redraw
        fields = [
            "id",
            "kind",
            "kind_display",
            "effective_on",
            "note",
            "actor",
            "created_at",
            "old_grids",
            "new_grids",
            "links",
        ]

    def get_old_grids(self, redraw) -> list[str]:
        return sorted({link.old.code for link in redraw.links.all()})

    def get_new_grids(self, redraw) -> list[str]:
        return sorted({link.new.code for link in redraw.links.all()})
