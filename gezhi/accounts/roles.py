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
        }
    ),
    Role.GRID_WORKER: frozenset({Action.REGION_VIEW}),
    Role.DEPARTMENT_STAFF: frozenset({Action.REGION_VIEW, Action.DEPARTMENT_VIEW}),
    Role.HOTLINE_AGENT: frozenset({Action.REGION_VIEW, Action.DEPARTMENT_VIEW}),
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
