"""Image bytes made on the fly for the photo tests."""

from __future__ import annotations

import io
import os

from PIL import Image


def image_bytes(fmt: str = "JPEG", size=(640, 480), colour=(200, 80, 60)):
    image = Image.new("RGB" if fmt == "JPEG" else "RGBA", size, colour)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def oversized_png() -> bytes:
    """A valid PNG over 5 MB: random pixels do not compress."""
    image = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    data = out.getvalue()
    assert len(data) > 5 * 1024 * 1024
    return data
