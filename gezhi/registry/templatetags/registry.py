"""Template filters of the register pages: masked personal data, catalogue values."""

from __future__ import annotations

from django import template

from gezhi.lib.masking import mask_id_number, mask_phone

register = template.Library()


@register.filter
def mask_id(value) -> str:
    """An ID or document number with its middle hidden: 632624********1234."""
    return mask_id_number(str(value or ""))


@register.filter(name="mask_phone")
def mask_phone_filter(value) -> str:
    """A phone number with its middle hidden: 138****5678."""
    return mask_phone(str(value or ""))


@register.simple_tag
def may_view_registry(user) -> bool:
    """Whether the user sees any register (the top bar shows the links only then)."""
    from gezhi.accounts.roles import Action
    from gezhi.accounts.scoping import user_scope

    return not user_scope(user, Action.REGISTRY_VIEW).empty


@register.simple_tag
def may_import_registry(user) -> bool:
    """Whether the user may import into the registers (the top bar then links the import page)."""
    from gezhi.accounts.roles import Action
    from gezhi.accounts.scoping import user_scope

    return not user_scope(user, Action.REGISTRY_IMPORT).empty
