"""Whatever bytes arrive, GIFT import answers with a ParseResult or a located FormatError.

Inputs are bounded (a few thousand characters) so a slow path shows up as a
deadline failure instead of a hang. What is read must also survive an export
and a second read unchanged.
"""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.questions.formats import gift
from lms.questions.formats.base import FormatError, ParseResult

SETTINGS = settings(max_examples=300, deadline=5000,
                    suppress_health_check=[HealthCheck.too_slow])

TOKENS = ["{", "}", "=", "~", "#", "####", "->", "::", ":", "%50%", "%-100%", "%33.3%", "%x%",
          "\\", "\\{", "\\}", "\\=", "\\~", "\\#", "\\:", "\\n", "\\\\", "\n", "\n\n", "\r\n",
          "//", "// [id:a1]", "// [tag:工会]", "// [points:2]", "// [difficulty:7]",
          "// [rubric:[{\"id\":1}]]", "// [statute:{]", "[html]", "[markdown]", "[plain]",
          "[moodle]", "<p>", "</p>", "<b>", "<script>x</script>", "<img src=x>", "&nbsp;",
          "$CATEGORY: $course$/top/甲", "T", "TRUE", "f", "..", "1", "-2.5", "1e3", "*", " ",
          "\t", "工会", "题目", "[[1]]", "_____", "\ufeff", "a", "?", "é", "\u3000"]


def check(data: bytes) -> ParseResult | None:
    """Parse ``data``; a FormatError must say where, anything else fails the test."""
    try:
        result = gift.parse(data, filename="fuzz.gift")
    except FormatError as err:
        assert err.problem.where == "fuzz.gift" and err.problem.reason
        return None
    for problem in result.problems:
        assert problem.where.startswith("fuzz.gift:") and problem.reason and problem.code
    for item in result.items:
        assert item.where.startswith("fuzz.gift:")
    return result


def reread(result: ParseResult) -> None:
    """What was read comes back the same through export (where GIFT can hold it)."""
    items = [i for i in result.items if not gift.unwritable(i)]
    again = gift.parse(gift.export(items), filename="again.gift")
    assert not again.problems, again.problems
    assert [dataclasses.replace(i, where="") for i in again.items] == [
        dataclasses.replace(i, where="") for i in items]


@SETTINGS
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(data):
    check(data)


@SETTINGS
@given(st.text(max_size=3000))
def test_arbitrary_text(text):
    result = check(text.encode("utf-8", "surrogatepass"))
    if result is not None:
        reread(result)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=4), max_size=400))
def test_text_built_from_gift_tokens(tokens):
    result = check("".join(tokens).encode("utf-8", "surrogatepass"))
    if result is not None:
        reread(result)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=60), st.sampled_from(["utf-8", "gb18030"]))
def test_questions_built_from_gift_tokens(tokens, encoding):
    text = "\n\n".join("".join(tokens[i:i + 6]) + "{" + "".join(tokens[i + 6:i + 12]) + "}"
                       for i in range(0, len(tokens), 12))
    result = check(text.encode(encoding, "replace"))
    if result is not None:
        reread(result)
