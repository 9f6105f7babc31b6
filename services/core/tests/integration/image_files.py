"""Files the image tests upload: a phone photo with GPS EXIF, a PHP file, a PNG bomb."""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache

from PIL import ExifTags, Image

GPS_LATITUDE = ((52, 1), (22, 1), (1234, 100))


@cache
def jpeg_with_gps(width: int = 1600, height: int = 1200) -> bytes:
    """A JPEG whose EXIF names the camera and where it stood (the seller's home)."""
    image = Image.new("RGB", (width, height), (180, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KeelPhone"
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 12.34)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 2.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    data = out.getvalue()
    assert has_gps(data), "the fixture itself must carry GPS"
    return data


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def has_any_exif(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif()) or "exif" in image.info


PHP_AS_JPG = b"<?php system($_GET['cmd']); ?>\n" + b"A" * 200


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@cache
def png_bomb(side: int = 30_000) -> bytes:
    """A valid 1-bit PNG of side x side black pixels: ~100 KB that decode to 900 MP."""
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )
