"""Clients, their packages, and payments."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from reformer.api import queries
from reformer.api.schemas import ClientOut, PackageOut, PaymentOut, page_of
from reformer.web.api.common import (
    FROM_QUERY,
    ID,
    TO_QUERY,
    Moment,
    aware,
    json,
    one,
    page,
)
from reformer.web.api.problems import KEYED_ERRORS
from reformer.web.api.security import actor_with_scope
from reformer.web.api.strict import strict

router = Router(tags=["Clients and payments"])


@router.get("/clients", response={200: page_of(ClientOut), **KEYED_ERRORS})
@strict
def list_clients(
    request: HttpRequest,
    email: str | None = Query(None, max_length=254, description="Exact email, any case."),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    actor = actor_with_scope(request, "clients:read")
    clients = queries.clients_for(actor, email=email)
    return page(clients, ClientOut, order=("pk",), cursor=cursor, limit=limit)


@router.get("/clients/{client_id}", response={200: ClientOut, **KEYED_ERRORS})
@strict
def get_client(request: HttpRequest, client_id: int = ID):
    actor = actor_with_scope(request, "clients:read")
    return json(one(queries.get_client(actor, client_id), ClientOut))


@router.get("/packages", response={200: page_of(PackageOut), **KEYED_ERRORS})
@strict
def list_packages(
    request: HttpRequest,
    client: int | None = Query(None, ge=1, le=2**62, description="Only this client's packages."),
    status: str | None = Query(None, pattern="^(active|cancelled)$"),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    actor = actor_with_scope(request, "clients:read")
    packages = queries.packages_for(actor, client_id=client, status=status)
    return page(packages, PackageOut, order=("pk",), cursor=cursor, limit=limit)


@router.get("/packages/{package_id}", response={200: PackageOut, **KEYED_ERRORS})
@strict
def get_package(request: HttpRequest, package_id: int = ID):
    actor = actor_with_scope(request, "clients:read")
    return json(one(queries.get_package(actor, package_id), PackageOut))


@router.get("/payments", response={200: page_of(PaymentOut), **KEYED_ERRORS})
@strict
def list_payments(
    request: HttpRequest,
    start: Moment | None = FROM_QUERY,
    end: Moment | None = TO_QUERY,
    client: int | None = Query(None, ge=1, le=2**62),
    status: str | None = Query(None, pattern="^(pending|succeeded|failed|refunded)$"),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    actor = actor_with_scope(request, "payments:read")
    payments = queries.payments_for(
        actor, start=aware(start, "from"), end=aware(end, "to"), client_id=client, status=status
    )
    return page(payments, PaymentOut, order=("created_at", "pk"), cursor=cursor, limit=limit)


@router.get("/payments/{payment_id}", response={200: PaymentOut, **KEYED_ERRORS})
@strict
def get_payment(request: HttpRequest, payment_id: int = ID):
    actor = actor_with_scope(request, "payments:read")
    return json(one(queries.get_payment(actor, payment_id), PaymentOut))
