"""Protection of sensitive personal information at rest (PIPL art. 51):
ID numbers and photos are encrypted with a key kept outside the database."""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from flask import current_app
from PIL import Image, UnidentifiedImageError

from lms.errors import ValidationFailed

PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
PHOTO_MAX_SIDE = 1200
PHOTO_MIN_SIDE = 100


def _fernet() -> Fernet:
    return Fernet(current_app.config["ID_ENCRYPTION_KEY"].encode())


def encrypt(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    return _fernet().decrypt(token)


def id_number_digest(number: str) -> str:
    """Keyed digest used for uniqueness; it cannot be reversed without the key."""
    key = current_app.config["ID_ENCRYPTION_KEY"].encode()
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def photo_dir() -> Path:
    path = Path(current_app.instance_path) / "photos"
    path.mkdir(parents=True, exist_ok=True)
    return path


def prepare_photo(data: bytes) -> bytes:
    """Check an uploaded photo and re-encode it as a clean JPEG.

    Re-encoding drops EXIF (location, device) and anything hidden after the
    image data. Raises `ValidationFailed` on the ``photo`` field.
    """
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if len(data) > limit:
        raise ValidationFailed("photo", "too_large", max_mb=f"{limit / 2**20:g}")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in PHOTO_FORMATS:
                raise ValidationFailed("photo", "not_image")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if min(image.size) < PHOTO_MIN_SIDE:
                raise ValidationFailed("photo", "too_small")
            image = image.convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=88)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationFailed("photo", "not_image") from None
    return out.getvalue()


def store_photo(jpeg: bytes) -> str:
    """Encrypt and write a prepared photo; returns its file name."""
    name = secrets.token_hex(16) + ".jpg.enc"
    (photo_dir() / name).write_bytes(encrypt(jpeg))
    return name


def read_photo(name: str) -> bytes:
    return decrypt((photo_dir() / name).read_bytes())


def delete_photo(name: str | None) -> None:
    if name:
        (photo_dir() / name).unlink(missing_ok=True)
