"""Dates and times as the studio expects them: the one formatting helper.

Every page, email, .ics description and export formats moments through `when(value, style)`
(in templates the `|when:"style"` filter, a builtin). Two choices vary by organization
locale: the clock (US "5:30 PM", UK "17:30") and the date order (US "Mon, Jun 3", UK
"Mon 3 Jun"). An organization's `locale` is chosen in its settings; left blank it follows
the country of its home time zone (tzdata's zone.tab), so a New York studio gets "5:30 PM".

A moment in a zone other than the organization's home zone carries the zone's name
("5:30 PM GMT"): a client of a London and New York studio is never left to guess.

The current locale is a context variable: the web middleware activates the request's
organization, jobs and emails wrap their rendering in `activate(organization)` (the send job
with the message's organization, from its cached branding). Text stored in a message's
context when it is queued (an email's "when") is written with `locale_of_id(organization_id)`,
so a promotion or a no-show sweep, which run as jobs, write it as the studio expects. With
none active, the default is day-first and 24-hour, which reads unambiguously everywhere.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from reformer.core.timezones import to_local

if TYPE_CHECKING:
    from reformer.studios.models import Organization


@dataclass(frozen=True)
class TimeLocale:
    code: str
    label: str
    clock24: bool
    month_first: bool
    home_zone: str = ""  # moments in another zone are shown with their zone's name
    organization_id: int | None = None  # whose locale this is (None: a base locale)

    def for_organization(self, organization: Organization) -> TimeLocale:
        return dataclasses.replace(
            self, home_zone=organization.time_zone, organization_id=organization.pk
        )


LOCALES: dict[str, TimeLocale] = {
    locale.code: locale
    for locale in (
        TimeLocale("en-US", "United States (5:30 PM, Jun 3)", clock24=False, month_first=True),
        TimeLocale("en-CA", "Canada (5:30 PM, Jun 3)", clock24=False, month_first=True),
        TimeLocale("en-AU", "Australia (5:30 PM, 3 Jun)", clock24=False, month_first=False),
        TimeLocale("en-NZ", "New Zealand (5:30 PM, 3 Jun)", clock24=False, month_first=False),
        TimeLocale("en-IN", "India (5:30 PM, 3 Jun)", clock24=False, month_first=False),
        TimeLocale("en-GB", "United Kingdom (17:30, 3 Jun)", clock24=True, month_first=False),
        TimeLocale("en-IE", "Ireland (17:30, 3 Jun)", clock24=True, month_first=False),
        TimeLocale("en-150", "Europe (17:30, 3 Jun)", clock24=True, month_first=False),
    )
}
DEFAULT = LOCALES["en-150"]
# Countries (ISO 3166) whose studios expect these formats; everywhere else gets DEFAULT.
_BY_COUNTRY = {
    "US": "en-US",
    "CA": "en-CA",
    "AU": "en-AU",
    "NZ": "en-NZ",
    "IN": "en-IN",
    "GB": "en-GB",
    "IE": "en-IE",
    "PR": "en-US",
    "PH": "en-US",
}
LOCALE_CHOICES = [
    ("", "Automatic, from the time zone"),
    *((c, v.label) for c, v in LOCALES.items()),
]

_current: contextvars.ContextVar[TimeLocale] = contextvars.ContextVar(
    "reformer_time_locale", default=DEFAULT
)


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    path = resources.files("tzdata") / "zoneinfo" / "zone.tab"
    countries: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, name, *_ = line.split("\t")
            countries[name] = country
    return countries


def country_of_zone(zone_name: str) -> str:
    """ISO country code of an IANA zone ('America/New_York' -> 'US'), '' when unknown."""
    return _zone_countries().get(zone_name, "")


def locale_for_zone(zone_name: str) -> TimeLocale:
    return LOCALES[_BY_COUNTRY.get(country_of_zone(zone_name), DEFAULT.code)]


def locale_of(organization: Organization | None) -> TimeLocale:
    """The organization's chosen locale, else the one of its home zone's country."""
    if organization is None:
        return DEFAULT
    chosen = LOCALES.get(getattr(organization, "locale", "") or "")
    base = chosen or locale_for_zone(organization.time_zone)
    return base.for_organization(organization)


def locale_of_id(organization_id: int | None, *, loaded: Organization | None = None) -> TimeLocale:
    """The locale of the organization a message is about, known by id. Text stored for
    later (an email's "when") is written in its organization's locale wherever it is built:
    in a request that organization is already active (no query); a job has none active, so
    the organization is read, unless the caller `loaded` it already."""
    if organization_id is None:
        return DEFAULT
    active = _current.get()
    if active.organization_id == organization_id:
        return active
    if loaded is not None and loaded.pk == organization_id:
        return locale_of(loaded)
    from reformer.studios.models import Organization  # core is imported by the models

    organization = Organization.objects.only("locale", "time_zone").get(pk=organization_id)
    return locale_of(organization)


def current() -> TimeLocale:
    return _current.get()


@contextlib.contextmanager
def activate(organization: Organization | TimeLocale | None) -> Iterator[TimeLocale]:
    """Format as `organization` expects inside the block (emails, jobs, live fragments)."""
    locale = organization if isinstance(organization, TimeLocale) else locale_of(organization)
    token = _current.set(locale)
    try:
        yield locale
    finally:
        _current.reset(token)


def set_current(organization: Organization | None) -> contextvars.Token[TimeLocale]:
    """For the request middleware, which resets the token when the response is done."""
    return _current.set(locale_of(organization))


def reset(token: contextvars.Token[TimeLocale]) -> None:
    _current.reset(token)


# ------------------------------------------------------------------------------ styles


def _clock(value: dt.time | dt.datetime, locale: TimeLocale) -> str:
    if locale.clock24:
        return f"{value.hour:02d}:{value.minute:02d}"
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d}\N{NO-BREAK SPACE}{'AM' if value.hour < 12 else 'PM'}"


def _day_month(day: dt.date, locale: TimeLocale, *, long: bool) -> str:
    month = f"{day:%B}" if long else f"{day:%b}"
    return f"{month} {day.day}" if locale.month_first else f"{day.day} {month}"


def _weekday_day(day: dt.date, locale: TimeLocale, *, long: bool) -> str:
    weekday = f"{day:%A}" if long else f"{day:%a}"
    sep = ", " if locale.month_first else " "
    return f"{weekday}{sep}{_day_month(day, locale, long=long)}"


def _with_year(text: str, day: dt.date, locale: TimeLocale) -> str:
    return f"{text}, {day.year}" if locale.month_first else f"{text} {day.year}"


def _date_part(day: dt.date, style: str, locale: TimeLocale) -> str:
    if style == "day":  # Mon 3 Jun / Mon, Jun 3
        return _weekday_day(day, locale, long=False)
    if style == "day_long":  # Monday 3 June / Monday, June 3
        return _weekday_day(day, locale, long=True)
    if style == "day_month":  # 3 Jun / Jun 3
        return _day_month(day, locale, long=False)
    if style == "day_month_long":  # 3 June / June 3
        return _day_month(day, locale, long=True)
    if style == "date":  # 3 Jun 2026 / Jun 3, 2026
        return _with_year(_day_month(day, locale, long=False), day, locale)
    if style == "date_full":  # 3 June 2026 / June 3, 2026
        return _with_year(_day_month(day, locale, long=True), day, locale)
    if style == "date_long":  # Monday 3 June 2026 / Monday, June 3, 2026
        return _with_year(_weekday_day(day, locale, long=True), day, locale)
    if style == "day_year":  # Mon 3 Jun 2026 / Mon, Jun 3, 2026
        return _with_year(_weekday_day(day, locale, long=False), day, locale)
    if style == "month":  # June 2026
        return f"{day:%B} {day.year}"
    raise ValueError(f"unknown date style {style!r}")


DATE_STYLES = (
    "day",
    "day_long",
    "day_month",
    "day_month_long",
    "date",
    "date_full",
    "date_long",
    "day_year",
)
# A date-and-time style is its date style and the clock: "day_time" = "Mon 3 Jun, 17:30".
STYLES = ("time", "month", *DATE_STYLES, *(f"{s}_time" for s in DATE_STYLES))


def zone_label(zone_name: str) -> str:
    """A time zone as people read it: "America/New York" for "America/New_York" (the zone
    pickers' labels), never the raw key or the key with its underscores cut out."""
    return zone_name.replace("_", " ")


def _zone_name(value: dt.datetime, locale: TimeLocale) -> str:
    zone = value.tzinfo
    key = getattr(zone, "key", None)
    if zone is None or not locale.home_zone or key == locale.home_zone:
        return ""
    return value.strftime("%Z")


def when(
    value: dt.datetime | dt.date | dt.time | None,
    style: str = "day_time",
    locale: TimeLocale | None = None,
    *,
    zone: str | None = None,
    name_zone: bool | None = None,
) -> str:
    """`value` in `style` (see STYLES) as the current (or given) locale writes it.

    An aware datetime is shown in `zone` when given, else in its own zone (callers pass
    moments already in the studio's zone); a datetime still in UTC is shown in the
    organization's home zone. The zone is named when it is not the organization's home
    zone, or always with `name_zone=True` (emails, whose reader may be anywhere). '' for None.
    """
    if value is None or value == "":
        return ""
    locale = locale or current()
    value = _localize(value, locale, zone)
    if style == "time":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            raise ValueError("a date has no time")
        return _with_zone(_clock(value, locale), value, locale, name_zone)
    if style.endswith("_time"):
        assert isinstance(value, dt.datetime), "a date-and-time style needs a datetime"
        date_text = _date_part(value.date(), style.removesuffix("_time"), locale)
        return _with_zone(f"{date_text}, {_clock(value, locale)}", value, locale, name_zone)
    if isinstance(value, dt.time):
        raise ValueError("a time has no date")
    day = value.date() if isinstance(value, dt.datetime) else value
    return _date_part(day, style, locale)


def time_range(start: dt.datetime | dt.time, end: dt.datetime | dt.time) -> str:
    """ "17:30 to 18:20" or "5:30 PM to 6:20 PM", the zone named once at the end."""
    locale = current()
    start, end = _localize(start, locale, None), _localize(end, locale, None)
    return _with_zone(f"{_clock(start, locale)}\N{EN DASH}{_clock(end, locale)}", end, locale)


def _localize(value: Any, locale: TimeLocale, zone: str | None) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        target = zone or (locale.home_zone if _is_utc(value) else None)
        if target:
            return to_local(value, target)
    return value


def _with_zone(text: str, value: object, locale: TimeLocale, name_zone: bool | None = None) -> str:
    if isinstance(value, dt.datetime) and name_zone is not False:
        name = value.strftime("%Z") if name_zone and value.tzinfo else _zone_name(value, locale)
        if name:
            return f"{text} {name}"
    return text


def _is_utc(value: dt.datetime) -> bool:
    return value.utcoffset() == dt.timedelta(0) and getattr(value.tzinfo, "key", "UTC") in (
        "UTC",
        "Etc/UTC",
    )
