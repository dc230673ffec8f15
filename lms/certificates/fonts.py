"""The certificate's subset CJK font, built once at install time.

WeasyPrint embeds only the glyphs a PDF uses, but it still has to open, shape
with and subset the whole font: Noto Serif CJK is 26 MB for five regions.
A font cut down to GB2312 (the 7,445 characters of the national standard, plus
ASCII and the punctuation a certificate prints) is a few MB and keeps renders
fast and memory low (../shared/PERFORMANCE.md, A3 and T7). Names outside GB2312
(堃, 喆, 镕 …) fall back to the full system font, named after the subset in the
certificate's CSS.

``python -m lms.certificates.fonts [--out DIR]`` builds it (``make install``
calls it); nothing here runs at request time except ``subset_font_paths``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: git-ignored (build/), so the generated font is never committed
DEFAULT_FONT_DIR = ROOT / "build" / "fonts"

#: the family the certificate's CSS declares for the subset; the full system
#: font is the next family in its font-family list
SUBSET_FAMILY = "UCA Certificate Serif"
FALLBACK_FAMILY = "Noto Serif CJK SC"


@dataclass(frozen=True)
class FontFace:
    weight: int
    fontconfig_pattern: str
    filename: str


#: One weight only: a bold face would be a second embedded font, about 30 KB
#: more in every PDF (the limit is 150 KB with the photo).
FACES = (
    FontFace(400, f"{FALLBACK_FAMILY}:style=Regular", "certificate-serif-sc-regular.otf"),
)


def gb2312_characters() -> str:
    """Every character GB2312 encodes: rows 0xA1–0xF7, cells 0xA1–0xFE."""
    chars = []
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # unassigned code point
    return "".join(chars)


def subset_text() -> str:
    """GB2312, printable ASCII, and the full-width and typographic punctuation
    that GB2312 lacks but Chinese text uses (·, —, “”, ‘’, …, fullwidth forms)."""
    ascii_printable = "".join(chr(c) for c in range(0x20, 0x7F))
    extra = "".join(chr(c) for c in range(0xFF01, 0xFF5F))  # fullwidth forms
    extra += "\u00a0\u00b7\u2014\u2018\u2019\u201c\u201d\u2026\u3000\u30fb"
    return ascii_printable + gb2312_characters() + extra


def subset_font_paths(font_dir: Path) -> dict[int, Path]:
    """The built subset faces found in ``font_dir``, by CSS weight; {} when not built."""
    return {face.weight: font_dir / face.filename for face in FACES
            if (font_dir / face.filename).is_file()}


def system_font(pattern: str) -> tuple[Path, int]:
    """The file and collection index fontconfig picks for ``pattern``."""
    if shutil.which("fc-match") is None:
        raise RuntimeError("fontconfig (fc-match) is missing: install fontconfig")
    out = subprocess.run(["fc-match", "--format=%{file}\t%{index}", pattern],  # noqa: S603,S607
                         capture_output=True, text=True, check=True).stdout
    file, _, index = out.partition("\t")
    return Path(file), int(index or 0)


def build_subset(source: Path, index: int, target: Path, text: str) -> None:
    """Write ``source``'s face ``index`` cut down to ``text`` as an OpenType (CFF) font."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    # Horizontal text only: no vertical metrics or forms. Every glyph kept costs
    # the PDF's embedded subset bytes (WeasyPrint keeps glyph ids, so its width
    # and offset tables run up to the highest id a certificate uses).
    # (locl would pull in the Traditional, Japanese and Korean forms: 13,000 glyphs)
    options.layout_features = ["ccmp", "kern", "liga", "calt"]
    options.drop_tables += ["vhea", "vmtx", "VORG"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False  # WeasyPrint drops hinting from PDFs anyway
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".tmp")
    with TTFont(str(source), fontNumber=index, lazy=True) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        font.save(str(partial))
    partial.replace(target)  # a render never sees half a font


def build_all(font_dir: Path, *, force: bool = False) -> list[Path]:
    """Build every face that is missing (or all with ``force``); returns the files built."""
    text = subset_text()
    built = []
    for face in FACES:
        target = font_dir / face.filename
        if target.is_file() and not force:
            continue
        source, index = system_font(face.fontconfig_pattern)
        if "NotoSerifCJK" not in source.name:
            raise RuntimeError(f"fontconfig has no {face.fontconfig_pattern} (got {source}): "
                               "install fonts-noto-cjk")
        build_subset(source, index, target, text)
        built.append(target)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_FONT_DIR,
                        help=f"folder for the fonts (default {DEFAULT_FONT_DIR})")
    parser.add_argument("--force", action="store_true", help="rebuild fonts that exist")
    args = parser.parse_args(argv)
    built = build_all(args.out, force=args.force)
    for path in built:
        print(f"built {path} ({path.stat().st_size // 1024} KB)")
    if not built:
        print(f"certificate fonts up to date in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
