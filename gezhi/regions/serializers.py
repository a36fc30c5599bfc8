from rest_framework import serializers

from gezhi.regions.models import Department, GridAssignment, Region


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
