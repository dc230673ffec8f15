"""Question text rendered safely in the bank's preview (RELIABILITY.md A12); moved here
from tests/web/test_question_bank_ui.py."""

from __future__ import annotations

from tests.web.test_question_bank_ui import page, preview_html, tf


def test_A12_preview_renders_markdown_safely(as_owner, make_question):
    question = make_question(tf("**加粗** <script>alert(1)</script>"))
    preview = preview_html(page(as_owner.get(f"/questions/{question.id}")))
    assert "<strong>加粗</strong>" in preview and "<script>" not in preview
