"""What the question pages show: the candidate's view of an item rendered to
HTML (no key), a stable text rendering of a version and the diff of two."""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

import yaml
from flask_babel import gettext as _
from markupsafe import Markup, escape

from lms.domain.items import BLANK_MARKER, ItemSpec, item_from_dict
from lms.domain.markdown import render_markdown
from lms.domain.presentation import candidate_view
from lms.questions.models import QuestionVersion

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class _Dumper(yaml.SafeDumper):
    """Block style; text with line breaks as ``|`` blocks, so diffs stay line by line."""


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal):
    """``10`` and ``1.50`` written as numbers, digits as they are (read back by
    `lms.questions.editor` as Decimals, so 1.50 stays 1.50)."""
    text = str(value)
    tag = "int" if re.fullmatch(r"-?[0-9]+", text) else "float"
    return dumper.represent_scalar(f"tag:yaml.org,2002:{tag}", text)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(Decimal, _represent_decimal)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000,
                     default_flow_style=False)


def spec_data(spec: ItemSpec) -> Any:
    """``spec.to_dict()`` with its numbers kept as Decimals, for `dump_yaml`."""
    return _typed(spec)


def _typed(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data: dict[str, Any] = {}
        tag = getattr(type(value), "codec_tag", None)
        if tag is not None:
            data["type"] = tag.value
        for field in dataclasses.fields(value):
            data[field.name] = _typed(getattr(value, field.name))
        return data
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_typed(item) for item in value]
    return value


# -- the candidate's view ---------------------------------------------------------


def candidate_preview(spec: ItemSpec, *, seed: int = 0) -> dict[str, Any]:
    """`candidate_view` with its Markdown rendered: only what a candidate may see.

    ``stem_html`` (blanks as disabled inputs) and ``scenario_html`` are safe
    HTML; everything else is text for the template to escape.
    """
    return _rendered(candidate_view(spec, seed=seed))


def _rendered(view: dict[str, Any]) -> dict[str, Any]:
    view = dict(view)
    html = render_markdown(view["stem"])
    if view["type"] == "fill_blank":
        html = BLANK_MARKER.sub(lambda m: _blank_input(int(m.group(1))), html)
    view["stem_html"] = Markup(html)  # noqa: S704 - sanitised by render_markdown
    if "scenario" in view:
        view["scenario_html"] = Markup(render_markdown(view["scenario"]))  # noqa: S704
    if "sub_items" in view:
        view["sub_items"] = [_rendered(sub) for sub in view["sub_items"]]
    return view


def _blank_input(number: int) -> str:
    label = escape(_("Blank %(number)s", number=number))
    return (f'<input type="text" class="form-control form-control-sm d-inline-block '
            f'blank-input" disabled aria-label="{label}" placeholder="({number})">')


def excerpt(text: str, length: int = 80) -> str:
    """A one-line excerpt of Markdown text for lists."""
    plain = BLANK_MARKER.sub("＿＿", text or "")
    plain = re.sub(r"[#*_`>\[\]|]+", "", plain)
    plain = " ".join(plain.split())
    return plain if len(plain) <= length else plain[:length - 1] + "…"


# -- versions and their differences -----------------------------------------------


def version_text(version: QuestionVersion) -> str:
    """The version's content (spec and metadata) as stable YAML, one fact per line."""
    spec = spec_data(item_from_dict(version.spec))
    return dump_yaml({"difficulty": version.difficulty,
                      "knowledge_points": list(version.knowledge_points or []),
                      "statutes": [dict(s) for s in version.statutes or []],
                      "spec": spec})


@dataclass(frozen=True)
class DiffLine:
    kind: str  #: "add", "del", "same" or "hunk" (a gap between changed regions)
    text: str


def diff(old: str | None, new: str, *, context: int = 3) -> list[DiffLine]:
    """The lines added and removed from ``old`` to ``new`` (``old`` None: all added)."""
    if old is None:
        return [DiffLine("add", line) for line in new.splitlines()]
    lines = []
    changes = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context)
    for number, line in enumerate(changes):
        if number < 2:  # the "--- / +++" header
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("del", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return lines
