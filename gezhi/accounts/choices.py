from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a membership lets a user do at its region (or department)."""

    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDITOR = "auditor", _("审计员")
    REGION_MANAGER = "region_manager", _("区域管理员")
    GRID_WORKER = "grid_worker", _("网格员")
    DEPARTMENT_STAFF = "department_staff", _("部门人员")
    HOTLINE_AGENT = "hotline_agent", _("热线坐席")
    CITIZEN = "citizen", _("群众")
