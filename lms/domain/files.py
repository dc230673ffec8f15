"""Recognising uploaded files by their bytes, not by their names."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str
    max_bytes: int
    inline: bool  #: shown in the page (images, video) rather than downloaded


PDF = FileKind("application/pdf", ".pdf", 20 * MB, inline=False)
PNG = FileKind("image/png", ".png", 5 * MB, inline=True)
JPEG = FileKind("image/jpeg", ".jpg", 5 * MB, inline=True)
WEBP = FileKind("image/webp", ".webp", 5 * MB, inline=True)
MP4 = FileKind("video/mp4", ".mp4", 100 * MB, inline=True)
ALLOWED = (PDF, PNG, JPEG, WEBP, MP4)


def sniff(head: bytes) -> FileKind | None:
    """The allowed kind whose signature ``head`` (the first 16 bytes) carries, or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        return MP4
    return None
