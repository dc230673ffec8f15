"""Chinese first: every UI string in the code has a zh_CN translation."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "lms" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def source_messages() -> set[str]:
    with open(ROOT / "lms" / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for sub in ("lms", "templates"):
        # patterns in babel.cfg are relative to the repository root
        mapping = [(pattern.removeprefix(f"{sub}/"), method) for pattern, method in method_map]
        for _file, _line, message, _comments, _ctx in extract_from_dir(
                ROOT / sub, mapping, options_map, keywords={
                    "_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                    "lazy_gettext": None}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def load_catalogue():
    with CATALOGUE.open("rb") as fh:
        return read_po(fh)


def test_every_ui_string_has_a_chinese_translation():
    catalogue = load_catalogue()
    # a plural message is keyed by its singular, as `source_messages` reports it
    translated = {(m.id if isinstance(m.id, str) else m.id[0]): m.string
                  for m in catalogue if m.id and (m.string if isinstance(m.string, str)
                                                  else all(m.string))}
    missing = sorted(source_messages() - set(translated))
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing)


def test_translations_keep_their_placeholders():
    for message in load_catalogue():
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        for text in [message.string] if isinstance(message.string, str) else message.string:
            assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(text)), \
                source
