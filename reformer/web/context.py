"""Template context shared by every page: the current membership, navigation and brand.

Variables: `membership`, `memberships` (for the organization switcher), `organization`,
`is_staff_member`, `nav_items` and `account_nav_items` (navigation.NavItem lists) and
`brand` (Brand colours). A view may pass its own `brand` (the public organization page
does) and `live_query` (extra websocket subscriptions: live_render.subscription_query).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from reformer.core.permissions import is_staff
from reformer.web import navigation as nav_registry

DEFAULT_BRAND = "#3b6e8f"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Brand:
    colour: str  # the organization's colour, for fills
    on_colour: str  # text on the colour: black or white, whichever contrasts more
    ink: str  # the colour darkened until it reads as text on white (WCAG AA, 4.5:1)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return red, green, blue


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


@lru_cache(maxsize=512)
def brand_for_colour(colour: str | None) -> Brand:
    colour = colour if colour and _HEX.match(colour) else DEFAULT_BRAND
    rgb = _rgb(colour)
    white, black = (255, 255, 255), (17, 17, 17)
    on = "#ffffff" if contrast_ratio(rgb, white) >= contrast_ratio(rgb, black) else "#111111"
    ink = rgb
    while contrast_ratio(ink, white) < 4.5:
        red, green, blue = ink
        ink = (int(red * 0.9), int(green * 0.9), int(blue * 0.9))
    return Brand(colour.lower(), on, _hex(ink))


def brand_for(organization: object | None) -> Brand:
    return brand_for_colour(getattr(organization, "brand_colour", None))


# The only names above a view may pass on purpose (the public organization page's brand).
# Any other name a view reuses hides the header's value on that page: a view's
# `memberships` once turned the organization switcher into a list of subscriptions.
# tests/conftest.py fails any rendered page whose view context collides.
VIEW_MAY_OVERRIDE = frozenset({"brand"})


def navigation(request: HttpRequest) -> dict:
    """The context processor named in settings.TEMPLATES."""
    membership = getattr(request, "membership", None)
    organization = getattr(membership, "organization", None)
    return {
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        "organization": organization,
        "is_staff_member": membership is not None and is_staff(membership),
        "nav_items": SimpleLazyObject(lambda: nav_registry.items_for(request)),
        "account_nav_items": SimpleLazyObject(
            lambda: nav_registry.items_for(request, section="account")
        ),
        "brand": brand_for(organization),
    }
