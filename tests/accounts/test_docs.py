from pathlib import Path

from gezhi.accounts.roles import role_table_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_security_doc_carries_the_current_role_table():
    # After changing roles.py, paste role_table_markdown()'s output into docs/security.md.
    assert role_table_markdown() in (DOCS / "security.md").read_text(encoding="utf-8")
