"""Birthdays: the rule, the client's profile, the desk's client record, the roster and the
check-in search flags (the class's week, the studio's local date)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from reformer.accounts.birthdays import birthday_flag, birthday_in
from reformer.accounts.models import ClientProfile
from reformer.core.models import AuditEvent
from reformer.core.timezones import local_today, to_local
from reformer.portability.importing import run_import
from tests.factories import make_session
from tests.web_staff.conftest import add_booking, in_two_hours, make_client

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
THURSDAY = dt.date(2026, 12, 10)


def _born(member, day: dt.date | None) -> ClientProfile:
    profile, _ = ClientProfile.objects.update_or_create(
        membership=member, defaults={"organization": member.organization, "birth_date": day}
    )
    return profile


# ---------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("born", "class_day", "flag"),
    [
        (dt.date(1990, 12, 10), THURSDAY, "Birthday today"),
        (dt.date(1985, 12, 7), THURSDAY, "Birthday on Monday"),  # 2026-12-07 is a Monday
        (dt.date(1985, 12, 13), THURSDAY, "Birthday on Sunday"),
        (dt.date(1985, 12, 6), THURSDAY, None),  # the Sunday before: last week
        (dt.date(1985, 12, 14), THURSDAY, None),  # the Monday after: next week
        (dt.date(1979, 1, 1), dt.date(2026, 12, 30), "Birthday on Friday"),  # over New Year
        (dt.date(1992, 2, 29), dt.date(2027, 2, 28), "Birthday today"),  # not a leap year
        (None, THURSDAY, None),
    ],
)
def test_the_flag_covers_the_week_of_the_class(born, class_day, flag):
    assert birthday_flag(born, class_day, today=class_day) == flag


def test_a_birthday_on_a_later_class_day_is_not_called_today():
    # PHX-12: the roster of a class three days ahead said "Birthday today".
    born = dt.date(1990, 12, 10)
    monday = THURSDAY - dt.timedelta(days=3)
    assert birthday_flag(born, THURSDAY, today=monday) == "Birthday on class day"
    assert birthday_flag(born, THURSDAY, today=THURSDAY) == "Birthday today"
    # Another day of the class's week is named whenever the roster is read.
    assert birthday_flag(dt.date(1985, 12, 7), THURSDAY, today=monday) == "Birthday on Monday"


def test_a_leap_day_birthday_is_kept_on_leap_years():
    assert birthday_in(dt.date(1992, 2, 29), 2028) == dt.date(2028, 2, 29)
    assert birthday_in(dt.date(1992, 2, 29), 2027) == dt.date(2027, 2, 28)


# --------------------------------------------------------------------- roster, check-in


def _class_day(session) -> dt.date:
    return to_local(session.starts_at, session.studio.time_zone).date()


def _on_the_day(session) -> str:
    """The flag of a birthday on the class's day: "today" only if the class is today (a
    class two hours ahead is tomorrow late in the evening)."""
    today = local_today(session.studio.time_zone)
    return "Birthday today" if _class_day(session) == today else "Birthday on class day"


def test_the_roster_flags_a_birthday_today_and_this_week_only(world, login_as, session_a):
    day = _class_day(session_a)
    monday = day - dt.timedelta(days=day.weekday())
    other_day = monday if day != monday else monday + dt.timedelta(days=1)
    today = add_booking(session_a, make_client(world.a, "Ada Today"))
    week = add_booking(session_a, make_client(world.a, "Bea Week"))
    later = add_booking(session_a, make_client(world.a, "Cy Later"))
    add_booking(session_a, make_client(world.a, "Di Unknown"))
    _born(today.client, day.replace(year=1990))
    _born(week.client, birthday_in(other_day, 1985))
    _born(later.client, birthday_in(day + dt.timedelta(days=8), 1980))
    client = login_as(world.a.instructor)
    page = client.get(reverse("staff:session_roster", args=[session_a.pk]), **HTMX)
    html = page.content.decode()
    rows = {
        b.client.name: html.split(f'id="booking-{b.pk}"')[1].split("</li>\n</ul>")[0]
        for b in page.context["roster"].bookings
    }
    assert _on_the_day(session_a) in rows["Ada Today"]
    assert f"Birthday on {other_day:%A}" in rows["Bea Week"]
    assert "Birthday" not in rows["Cy Later"] and "Birthday" not in rows["Di Unknown"]


def test_the_roster_of_a_class_days_ahead_says_birthday_on_class_day(world, login_as):
    session = make_session(world.a, starts_at=in_two_hours() + dt.timedelta(days=3))
    ada = add_booking(session, make_client(world.a, "Ada Ahead"))
    _born(ada.client, _class_day(session).replace(year=1990))
    client = login_as(world.a.instructor)
    html = client.get(reverse("staff:session_roster", args=[session.pk]), **HTMX)
    assert "Birthday on class day" in html.content.decode()
    assert "Birthday today" not in html.content.decode()


def test_the_check_in_search_flags_a_birthday(world, login_as):
    session = make_session(world.a, starts_at=in_two_hours())
    ada = add_booking(session, make_client(world.a, "Ada Lovelace"))
    _born(ada.client, _class_day(session).replace(year=1991))
    client = login_as(world.a.front_desk)
    url = reverse("staff:checkin_find") + f"?q=ada&date={_class_day(session)}"
    html = client.get(url, **HTMX).content.decode()
    assert "Ada Lovelace" in html and _on_the_day(session) in html


# ------------------------------------------------------------------- who gives the date


def test_a_client_gives_and_removes_their_birthday_on_the_profile(world, login_as):
    member = world.a.client
    client = login_as(member)
    form = {"name": member.user.name, "email": member.user.email, "phone": ""}
    page = client.get(reverse("profile:edit")).content.decode()
    assert 'name="birth_date"' in page and 'autocomplete="bday"' in page
    response = client.post(reverse("profile:edit"), form | {"birth_date": "1990-03-14"})
    assert response.status_code in (200, 302)
    assert ClientProfile.objects.get(membership=member).birth_date == dt.date(1990, 3, 14)
    shown = client.post(reverse("profile:edit"), form | {"birth_date": "1990-03-15"}, **HTMX)
    assert 'value="1990-03-15"' in shown.content.decode()  # the panel shows what was saved
    client.post(reverse("profile:edit"), form | {"birth_date": ""})
    assert ClientProfile.objects.get(membership=member).birth_date is None


def test_a_future_birthday_is_refused_and_nothing_changes(world, login_as):
    member = world.a.client
    _born(member, dt.date(1990, 3, 14))
    client = login_as(member)
    form = {"name": "New Name", "email": member.user.email, "phone": ""}
    response = client.post(reverse("profile:edit"), form | {"birth_date": "2999-01-01"})
    assert response.status_code == 422
    assert "cannot be in the future" in response.content.decode()
    member.user.refresh_from_db()
    assert member.user.name != "New Name"
    assert ClientProfile.objects.get(membership=member).birth_date == dt.date(1990, 3, 14)


def test_staff_have_no_birthday_field(world, login_as):
    page = login_as(world.a.instructor).get(reverse("profile:edit")).content.decode()
    assert 'name="birth_date"' not in page


def test_the_desk_sets_a_birthday_on_the_client_record(world, login_as):
    client = login_as(world.a.front_desk)
    url = reverse("frontdoor:staff_client_birthday", args=[world.a.client.pk])
    response = client.post(url, {"birth_date": "1988-07-01"})
    assert response.status_code == 302
    assert ClientProfile.objects.get(membership=world.a.client).birth_date == dt.date(1988, 7, 1)
    assert AuditEvent.objects.filter(code="accounts.client.details_updated").exists()
    record = client.get(reverse("frontdoor:staff_client", args=[world.a.client.pk]))
    assert "1 July 1988" in record.content.decode()
    refused = client.post(url, {"birth_date": "1700-01-01"})
    assert refused.status_code == 422 and "Check the year" in refused.content.decode()
    assert ClientProfile.objects.get(membership=world.a.client).birth_date == dt.date(1988, 7, 1)


def test_an_instructor_may_not_edit_and_another_organization_sees_not_found(world, login_as):
    url = reverse("frontdoor:staff_client_birthday", args=[world.a.client.pk])
    assert login_as(world.a.instructor).post(url, {"birth_date": "1988-07-01"}).status_code == 403
    assert login_as(world.b.owner).post(url, {"birth_date": "1988-07-01"}).status_code == 404
    assert not ClientProfile.objects.filter(
        membership=world.a.client, birth_date__isnull=False
    ).exists()


# ------------------------------------------------------------------------ import / export


def test_an_import_reads_a_birthday_column_and_refuses_a_bad_one(world):
    good = b"email,name,Date of birth\nana@example.com,Ana Lima,1990-03-14\n"
    run_import(world.a.owner, "clients", good, dry_run=False)
    ana = ClientProfile.objects.get(membership__user__email="ana@example.com")
    assert ana.birth_date == dt.date(1990, 3, 14)
    bad = run_import(world.a.owner, "clients", b"email,dob\nbo@example.com,2999-01-01\n")
    assert bad.rows[0].action == "error" and "future" in bad.rows[0].message
