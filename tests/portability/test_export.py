"""The full export: a job builds a zip of every table as CSV and JSON with a README; a
link downloads it for a day, for the owner only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from reformer.billing.models import Payment
from reformer.bookings import actions as bookings
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.portability import actions
from reformer.portability.models import Export
from reformer.portability.tables import TABLES
from tests.bookings.helpers import give_package
from tests.factories import make_session
from tests.webhooks.conftest import run_queued_jobs


def build_one(owner) -> Export:
    export = actions.request_export(owner)
    assert run_queued_jobs("portability.build_export") == 1
    export.refresh_from_db()
    return export


def open_zip(export: Export) -> zipfile.ZipFile:
    with default_storage.open(export.file_name) as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


@pytest.fixture
def data(world):
    package = give_package(world.a.client, credits=10)
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=2))
    booking = bookings.book_session(world.a.client, session)
    Payment.objects.create(
        organization=world.a.organization,
        client=world.a.client,
        client_package=package,
        amount=Decimal("99.00"),
        provider_id="pi_x",
        status="succeeded",
        created_at=timezone.now(),
    )
    give_package(world.b.client)  # another organization's: never in a's export
    return {"booking": booking, "package": package}


def test_the_export_holds_every_table_as_csv_and_json_with_a_readme(world, data):
    export = build_one(world.a.owner)
    assert export.status == "ready" and export.progress == 100
    assert export.expires_at - export.finished_at == dt.timedelta(hours=24)
    archive = open_zip(export)
    names = set(archive.namelist())
    for table in TABLES:
        assert {f"{table.name}.csv", f"{table.name}.json"} <= names
    readme = archive.read("README.md").decode()
    assert "## bookings.csv" in readme and "`credits_remaining`" in readme

    bookings_csv = list(csv.DictReader(io.StringIO(archive.read("bookings.csv").decode())))
    assert [row["id"] for row in bookings_csv] == [str(data["booking"].pk)]
    assert bookings_csv[0]["client_email"] == world.a.client.user.email
    packages = json.loads(archive.read("packages.json"))
    assert [p["id"] for p in packages] == [data["package"].pk]
    assert packages[0]["credits_remaining"] == 9
    ledger = json.loads(archive.read("credit_ledger.json"))
    assert [row["delta"] for row in ledger] == [-1]
    payments = list(csv.DictReader(io.StringIO(archive.read("payments.csv").decode())))
    assert {f.attname for f in Payment._meta.concrete_fields} <= set(payments[0])
    assert payments[0]["amount"] == "99.00"
    clients = json.loads(archive.read("clients.json"))
    assert [c["email"] for c in clients] == [world.a.client.user.email]
    assert export.row_counts["bookings"] == 1


def test_only_the_owner_exports_and_downloads_until_the_link_expires(world, data, time_machine):
    with pytest.raises(PermissionDenied):
        actions.request_export(world.a.manager)
    export = build_one(world.a.owner)
    assert actions.download(world.a.owner, export.token) == export
    with pytest.raises(NotFound):
        actions.download(world.b.owner, export.token)
    with pytest.raises(PermissionDenied):
        actions.download(world.a.manager, export.token)
    time_machine.move_to(export.expires_at + dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as expired:
        actions.download(world.a.owner, export.token)
    assert expired.value.code == "export.expired"
    assert actions.expire_old_exports() == 1
    assert not default_storage.exists(export.file_name)


def test_one_export_at_a_time(world, data):
    actions.request_export(world.a.owner)
    with pytest.raises(DomainError) as busy:
        actions.request_export(world.a.owner)
    assert busy.value.code == "export.in_progress"
    actions.request_export(world.b.owner)  # another organization is not held up


def test_appointments_are_exported_with_their_places_and_readme_columns(world, data):
    from reformer.appointments import actions as appointments
    from tests.appointments import helpers as ah

    tenant = world.a
    kind, _room, _spots = ah.setup_privates(tenant)
    place = appointments.book_appointment(
        tenant.client,
        kind,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
    )
    other_kind, _, _ = ah.setup_privates(world.b)  # another organization's: never exported
    appointments.book_appointment(
        world.b.client,
        other_kind,
        studio=world.b.studio,
        instructor=world.b.instructor,
        starts_at=ah.at(world.b, hour=10),
    )
    archive = open_zip(build_one(tenant.owner))
    readme = archive.read("README.md").decode()
    assert "## appointments.csv" in readme and "## appointment_places.csv" in readme
    assert "`instructor_email`: Instructor's email" in readme
    assert "`status`: " in readme and "no_show" in readme  # attendance values documented

    def rows(name):
        return list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode())))

    (appointment,) = rows("appointments")
    assert appointment["reference"] == place.appointment.reference
    assert appointment["instructor_email"] == tenant.instructor.user.email
    assert appointment["appointment_type_name"] == "Private 55"
    (exported,) = rows("appointment_places")
    assert exported["client_email"] == tenant.client.user.email
    assert (exported["status"], exported["credits_spent"]) == ("confirmed", "1")
    assert exported["appointment_reference"] == place.appointment.reference
    assert [r["name"] for r in rows("appointment_types")] == ["Private 55"]
    (teaches,) = rows("appointment_instructors")
    assert teaches["instructor_email"] == tenant.instructor.user.email
    assert len(rows("instructor_hours")) == 7
