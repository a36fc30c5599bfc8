"""Masking of personal data for display: ID numbers, phones, names of documents.

Masked by default everywhere (pages, API, exports); the full value needs the reveal permission,
a reason, and lands in the audit log.
"""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """632624********1234: area code and last four kept (18 characters), or the ends of others."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) == 18:
        return f"{text[:6]}{'*' * 8}{text[14:]}"
    if len(text) <= 4:
        return "*" * len(text)
    keep = max(1, len(text) // 4)
    return f"{text[:keep]}{'*' * (len(text) - 2 * keep)}{text[-keep:]}"


def mask_phone(value: str) -> str:
    """138****5678 for a mobile number; the last four kept for other numbers."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) == 11 and text.isdigit():
        return f"{text[:3]}****{text[7:]}"
    if len(text) <= 4:
        return "*" * len(text)
    return f"{'*' * (len(text) - 4)}{text[-4:]}"
