"""Tenancy matrix rows for exports, imports and personal data (see tests/tenancy.py)."""

from __future__ import annotations

from reformer.portability import actions, personal
from reformer.portability.importing import run_import
from tests.tenancy import OWN, QUERY, register

CLIENTS = b"email,name\nnew.person@example.com,New Person\n"


@register(allowed={"owner"}, other_tenant=OWN)
def request_export(actor, ctx):
    return actions.request_export(actor)


@register(allowed={"owner"}, kind=QUERY, other_tenant=OWN)
def exports_for(actor, ctx):
    return actions.exports_for(actor)


@register(allowed={"owner"}, other_tenant=OWN)
def import_clients(actor, ctx):
    return run_import(actor, "clients", CLIENTS, dry_run=False)


@register(allowed={"owner"}, kind=QUERY, other_tenant=OWN)
def import_dry_run(actor, ctx):
    return run_import(actor, "clients", CLIENTS)


@register(allowed={"owner", "client"})  # the client acts on themself
def delete_client_data(actor, ctx):
    return personal.delete_client(actor, ctx.a.client)


@register(allowed={"owner", "client"}, kind=QUERY)
def personal_data_of_client(actor, ctx):
    return personal.personal_data(actor, ctx.a.client)
