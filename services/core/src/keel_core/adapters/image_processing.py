"""``ImageProcessor`` with Pillow: sniff, decode within limits, strip, re-encode, thumbnail.

Decoding untrusted images is the risky part of the feature, so every check happens before
the pixels are decoded: the real type comes from the magic bytes (a PHP file named .jpg is
refused here), Pillow is told which single decoder it may use, and the declared size is
checked against our own pixel limit before ``load()`` (Pillow's ``MAX_IMAGE_PIXELS`` is a
second net: its warning is turned into a refusal). Re-encoding from decoded pixels drops
every metadata block (EXIF with GPS, XMP, comments, ICC text); orientation is applied first
so a phone photo stays upright without its EXIF.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from keel_core.service_layer.image_ports import ImageProcessor, ImageRejected, ProcessedImage

MAX_PIXELS = 40_000_000
MAX_SIDE = 12_000
OUTPUT_SIDE = 2048
THUMBNAIL_SIDE = 400

# Pillow's own bomb limit, process-wide: it raises above twice this value and warns above it.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, UnidentifiedImageError, EOFError)


def sniff(data: bytes) -> str | None:
    """Pillow's format name from the first bytes, or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


class PillowImageProcessor(ImageProcessor):
    def __init__(self, max_pixels: int = MAX_PIXELS) -> None:
        self.max_pixels = max_pixels

    def process(self, data: bytes) -> ProcessedImage:
        kind = sniff(data)
        if kind is None:
            raise ImageRejected("the file is not a JPEG, PNG or WebP image")
        image = self._decode(data, kind)
        image = ImageOps.exif_transpose(image)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
        full, thumb = image.copy(), image.copy()
        full.thumbnail((OUTPUT_SIDE, OUTPUT_SIDE))
        thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        fmt, extension, content_type = (
            ("PNG", "png", "image/png") if has_alpha else ("JPEG", "jpg", "image/jpeg")
        )
        return ProcessedImage(
            image=_encode(full, fmt),
            thumbnail=_encode(thumb, fmt),
            extension=extension,
            content_type=content_type,
            width=full.width,
            height=full.height,
        )

    def _decode(self, data: bytes, kind: str) -> Image.Image:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(io.BytesIO(data), formats=[kind])
                self._check_size(image.width, image.height)
                image.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise ImageRejected(self._too_large()) from exc
            except _DECODE_ERRORS as exc:
                raise ImageRejected(f"the file could not be decoded as {kind}") from exc
        return image

    def _check_size(self, width: int, height: int) -> None:
        if width * height > self.max_pixels or max(width, height) > MAX_SIDE:
            raise ImageRejected(self._too_large())

    def _too_large(self) -> str:
        return f"the image has more than {self.max_pixels} pixels or a side over {MAX_SIDE}"


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    # No exif=, icc_profile= or pnginfo=: nothing but pixels is written.
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=85, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()
