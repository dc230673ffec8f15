"""YAML whose mappings remember their line, so file problems can say where."""

from __future__ import annotations

import yaml


class LinedDict(dict):
    """A mapping read from YAML; ``line`` is the 1-based line it starts on."""

    line: int | None = None


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no arbitrary objects) whose mappings carry their line."""


def _construct_lined(loader: _LineLoader, node: yaml.MappingNode) -> LinedDict:
    loader.flatten_mapping(node)
    mapping = LinedDict(loader.construct_pairs(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_lined)


def load_lined(text: str):
    """Parse YAML text; raises ``yaml.YAMLError`` (with ``problem_mark``) when broken."""
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass


def error_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None
