"""App icons generated from an organization's logo with Pillow.

"any" icons show the logo whole on white (a transparent logo keeps its shape); the
maskable icon puts it inside the safe zone (the centre circle of 80% diameter that every
launcher mask keeps) on the brand colour. Without a logo, the organization's initials on
its colour. Results are cached per (organization, logo, colour, size, purpose).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from reformer.studios.models import Organization

SIZES = (192, 512)
FONT = Path(__file__).resolve().parents[2] / "reports" / "fonts" / "DejaVuSans-Bold.ttf"
# The logo's share of the icon: nearly all of an "any" icon, and inside the maskable safe
# zone (a circle of 80%: a square of 56% fits it, with a little air).
ANY_SHARE = 0.86
MASKABLE_SHARE = 0.54


def _rgb(colour: str) -> tuple[int, int, int]:
    try:
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
    except (ValueError, IndexError):
        return (59, 110, 143)


def _initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper() or "R"


def _logo(organization: Organization) -> Image.Image | None:
    if not organization.logo:
        return None
    try:
        with organization.logo.open("rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return ImageOps.exif_transpose(image).convert("RGBA")


def _text_mark(name: str, size: int, colour: tuple[int, int, int], share: float) -> Image.Image:
    """The initials, white or near-black (whichever contrasts), filling `share` of width."""
    mark = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(mark)
    text = _initials(name)
    luminance = (0.2126 * colour[0] + 0.7152 * colour[1] + 0.0722 * colour[2]) / 255
    ink = (17, 17, 17, 255) if luminance > 0.6 else (255, 255, 255, 255)
    font_size = int(size * share / max(len(text), 1.6) * 1.3)
    font = ImageFont.truetype(str(FONT), font_size)
    draw.text((size / 2, size / 2), text, font=font, fill=ink, anchor="mm")
    return mark


def _placed(logo: Image.Image, size: int, share: float) -> Image.Image:
    inner = max(1, int(size * share))
    fitted = ImageOps.contain(logo, (inner, inner), Image.Resampling.LANCZOS)
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    layer.paste(fitted, ((size - fitted.width) // 2, (size - fitted.height) // 2), fitted)
    return layer


# Rendered icons by (organization, logo, colour, name, size, purpose): a changed logo or
# colour is a new key. Bounded: cleared when it grows past a few hundred.
_ICON_CACHE: dict[tuple, bytes] = {}


def render_icon(organization: Organization, size: int, *, maskable: bool = False) -> bytes:
    """The PNG bytes of one icon."""
    key = (
        organization.pk,
        organization.logo.name or "",
        organization.brand_colour,
        organization.name,
        size,
        maskable,
    )
    hit = _ICON_CACHE.get(key)
    if hit is None:
        hit = _render(organization, size, maskable)
        if len(_ICON_CACHE) > 256:
            _ICON_CACHE.clear()
        _ICON_CACHE[key] = hit
    return hit


def _render(organization: Organization, size: int, maskable: bool) -> bytes:
    colour = _rgb(organization.brand_colour or "#3b6e8f")
    logo = _logo(organization)
    if maskable:
        canvas = Image.new("RGBA", (size, size), (*colour, 255))
        mark = (
            _placed(logo, size, MASKABLE_SHARE)
            if logo is not None
            else _text_mark(organization.name, size, colour, MASKABLE_SHARE)
        )
    elif logo is not None:
        canvas = Image.new("RGBA", (size, size), (255, 255, 255, 255))
        mark = _placed(logo, size, ANY_SHARE)
    else:
        canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        ImageDraw.Draw(canvas).rounded_rectangle(
            (0, 0, size - 1, size - 1), radius=size // 6, fill=(*colour, 255)
        )
        mark = _text_mark(organization.name, size, colour, ANY_SHARE * 0.8)
    canvas.alpha_composite(mark)
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()
