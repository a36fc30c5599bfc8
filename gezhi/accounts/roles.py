"""What each role may do. Scoping (where) comes from the membership's region or department."""

from __future__ import annotations

from django.utils import translation

from gezhi.accounts.choices import Role


class Action:
    """Names of the things a role may do; selectors and services ask for one of these."""

    REGION_VIEW = "region.view"
    REGION_CHANGE = "region.change"
    REGION_REDRAW = "region.redraw"
    GRID_ASSIGN = "grid.assign"
    DEPARTMENT_VIEW = "department.view"
    DEPARTMENT_CHANGE = "department.change"
    USER_VIEW = "user.view"
    USER_MANAGE = "user.manage"
    AUDIT_VIEW = "audit.view"
    REGISTRY_VIEW = "registry.view"
    REGISTRY_CHANGE = "registry.change"
    REGISTRY_IMPORT = "registry.import"
    REGISTRY_EXPORT = "registry.export"
    PERSONAL_DATA_REVEAL = "personal_data.reveal"
    CATALOGUE_MANAGE = "catalogue.manage"


ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(
        {
            Action.REGION_VIEW,
            Action.REGION_CHANGE,
            Action.REGION_REDRAW,
            Action.GRID_ASSIGN,
            Action.DEPARTMENT_VIEW,
            Action.DEPARTMENT_CHANGE,
            Action.USER_VIEW,
            Action.REGISTRY_VIEW,
            Action.REGISTRY_CHANGE,
            Action.REGISTRY_IMPORT,
            Action.REGISTRY_EXPORT,
            Action.CATALOGUE_MANAGE,
        }
    ),
    # 三权分立: the security administrator manages accounts, the auditor reads the log;
    # neither changes the registers.
    Role.SECURITY_ADMIN: frozenset({Action.REGION_VIEW, Action.USER_VIEW, Action.USER_MANAGE}),
    Role.AUDITOR: frozenset({Action.REGION_VIEW, Action.AUDIT_VIEW, Action.USER_VIEW}),
    Role.REGION_MANAGER: frozenset(
        {
            Action.REGION_VIEW,
            Action.REGION_CHANGE,
            Action.REGION_REDRAW,
            Action.GRID_ASSIGN,
            Action.DEPARTMENT_VIEW,
            Action.USER_VIEW,
            Action.REGISTRY_VIEW,
            Action.REGISTRY_CHANGE,
            Action.REGISTRY_IMPORT,
            Action.REGISTRY_EXPORT,
            Action.PERSONAL_DATA_REVEAL,
            Action.CATALOGUE_MANAGE,
        }
    ),
    # A grid worker keeps their grid's registers and calls its households: may reveal.
    Role.GRID_WORKER: frozenset(
        {
            Action.REGION_VIEW,
            Action.REGISTRY_VIEW,
            Action.REGISTRY_CHANGE,
            Action.PERSONAL_DATA_REVEAL,
        }
    ),
    # Departments use the collected data by authorisation: they read it, masked.
    Role.DEPARTMENT_STAFF: frozenset(
        {Action.REGION_VIEW, Action.DEPARTMENT_VIEW, Action.REGISTRY_VIEW}
    ),
    # Agents identify callers from the registers; they see them masked.
    Role.HOTLINE_AGENT: frozenset(
        {Action.REGION_VIEW, Action.DEPARTMENT_VIEW, Action.REGISTRY_VIEW}
    ),
    Role.CITIZEN: frozenset(),
}


def role_allows(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())


def role_table_markdown() -> str:
    """The roles and their actions as a Markdown table (docs/security.md carries a copy)."""
    actions = [v for k, v in vars(Action).items() if k.isupper()]
    lines = [
        "| role | " + " | ".join(f"`{a}`" for a in actions) + " |",
        "| --- |" + " :---: |" * len(actions),
    ]
    with translation.override("zh-hans"):  # the docs name roles as the pages do
        for role in Role:
            marks = ["✓" if role_allows(role, a) else "" for a in actions]
            lines.append(f"| {role.label} `{role.value}` | " + " | ".join(marks) + " |")
    return "\n".join(lines)
