"""Joining an organization, role changes, deactivation, and the last-owner rule."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from reformer.accounts import actions, queries
from reformer.accounts.models import ClientProfile, Membership
from reformer.core import live
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.models import AuditEvent
from tests import factories

# --- join_organization ----------------------------------------------------------------------


def test_it_makes_a_user_a_client_with_a_profile(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(live, "send_now", lambda groups, message: sent.append((groups, message)))
    with django_capture_on_commit_callbacks(execute=True):
        membership = actions.join_organization(world.outsider, world.a.organization)

    assert membership.role == "client"
    assert membership.active
    assert ClientProfile.objects.filter(membership=membership).exists()
    assert AuditEvent.objects.filter(code="accounts.membership.joined").count() == 1
    groups, message = sent[0]
    assert live.organization_metrics(world.a.organization.pk) in groups
    assert message["event"] == {"type": "membership", "op": "created", "ids": [membership.pk]}


def test_it_is_idempotent_for_an_existing_client(world):
    first = actions.join_organization(world.outsider, world.a.organization)
    again = actions.join_organization(world.outsider, world.a.organization)
    assert again.pk == first.pk
    assert Membership.objects.filter(user=world.outsider).count() == 1
    assert AuditEvent.objects.filter(code="accounts.membership.joined").count() == 1


def test_it_lets_a_client_of_one_organization_join_another(world):
    membership = actions.join_organization(world.a.client.user, world.b.organization)
    assert membership.organization == world.b.organization
    assert world.a.client.user.memberships.count() == 2


@pytest.mark.parametrize("role", ["owner", "manager", "front_desk", "instructor"])
def test_it_refuses_staff_joining_as_clients(world, role):
    with pytest.raises(DomainError) as caught:
        actions.join_organization(world.a.members[role].user, world.a.organization)
    assert caught.value.code == "membership.already_staff"
    assert Membership.objects.get(pk=world.a.members[role].pk).role == role


def test_it_refuses_a_deactivated_client(world):
    actions.deactivate_member(world.a.owner, world.a.client)
    with pytest.raises(DomainError) as caught:
        actions.join_organization(world.a.client.user, world.a.organization)
    assert caught.value.code == "membership.inactive"


# --- change_role ----------------------------------------------------------------------------


def test_it_lets_an_owner_change_a_role_and_studios(world):
    membership = actions.change_role(
        world.a.owner,
        world.a.instructor,
        role="manager",
        studios=[world.a.studio, world.a.other_studio],
    )
    assert membership.role == "manager"
    assert set(membership.studios.all()) == {world.a.studio, world.a.other_studio}
    event = AuditEvent.objects.get(code="accounts.membership.role_changed")
    assert event.data["previous_role"] == "instructor"
    assert event.data["role"] == "manager"


def test_it_clears_studios_and_adds_a_profile_when_staff_become_clients(world):
    membership = actions.change_role(world.a.owner, world.a.instructor, role="client")
    assert list(membership.studios.all()) == []
    assert ClientProfile.objects.filter(membership=membership).exists()


def test_it_requires_studios_for_scoped_roles(world):
    with pytest.raises(DomainError) as caught:
        actions.change_role(world.a.owner, world.a.client, role="instructor", studios=[])
    assert caught.value.data["field"] == "studios"


def test_it_refuses_demoting_the_last_owner(world):
    with pytest.raises(DomainError) as caught:
        actions.change_role(world.a.owner, world.a.owner, role="manager", studios=[world.a.studio])
    assert caught.value.code == "membership.last_owner"
    assert Membership.objects.get(pk=world.a.owner.pk).role == "owner"


def test_it_lets_an_owner_step_down_when_another_owner_exists(world):
    actions.change_role(world.a.owner, world.a.manager, role="owner")
    membership = actions.change_role(
        world.a.owner, world.a.owner, role="manager", studios=[world.a.studio]
    )
    assert membership.role == "manager"


def test_it_lets_a_manager_move_staff_between_roles_they_may_grant(world):
    membership = actions.change_role(
        world.a.manager, world.a.front_desk, role="instructor", studios=[world.a.studio]
    )
    assert membership.role == "instructor"


@pytest.mark.parametrize(
    ("target", "role"),
    [
        ("front_desk", "manager"),  # may not grant manager
        ("owner", "instructor"),  # may not touch an owner
        ("manager", "instructor"),  # nor another manager (themselves included)
    ],
)
def test_it_refuses_a_manager_beyond_their_grant(world, target, role):
    with pytest.raises(PermissionDenied):
        actions.change_role(
            world.a.manager, world.a.members[target], role=role, studios=[world.a.studio]
        )


def test_it_refuses_a_manager_touching_staff_of_another_studio(world):
    other = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.other_studio]
    )
    with pytest.raises(PermissionDenied):
        actions.change_role(
            world.a.manager, other, role="front_desk", studios=[world.a.other_studio]
        )


@pytest.mark.parametrize("role", ["front_desk", "instructor", "client"])
def test_it_refuses_roles_without_manage_staff(world, role):
    with pytest.raises(PermissionDenied):
        actions.change_role(
            world.a.members[role], world.a.client, role="instructor", studios=[world.a.studio]
        )


def test_it_hides_members_of_another_organization(world):
    with pytest.raises(NotFound):
        actions.change_role(
            world.b.owner, world.a.instructor, role="front_desk", studios=[world.b.studio]
        )
    with pytest.raises(NotFound):
        actions.change_role(
            world.a.owner, world.a.instructor, role="front_desk", studios=[world.b.studio]
        )


# --- deactivate / reactivate ----------------------------------------------------------------


def test_it_deactivates_and_reactivates_a_member(world):
    membership = actions.deactivate_member(world.a.owner, world.a.instructor)
    assert not membership.active
    assert actions.deactivate_member(world.a.owner, world.a.instructor).active is False
    membership = actions.reactivate_member(world.a.owner, world.a.instructor)
    assert membership.active
    codes = list(AuditEvent.objects.order_by("pk").values_list("code", flat=True))
    assert codes == ["accounts.membership.deactivated", "accounts.membership.reactivated"]


def test_it_refuses_deactivating_the_last_owner(world):
    with pytest.raises(DomainError) as caught:
        actions.deactivate_member(world.a.owner, world.a.owner)
    assert caught.value.code == "membership.last_owner"


def test_it_does_not_count_a_deactivated_owner(world):
    second = factories.MembershipFactory(organization=world.a.organization, role="owner")
    actions.deactivate_member(world.a.owner, second)
    with pytest.raises(DomainError):
        actions.deactivate_member(world.a.owner, world.a.owner)


def test_it_lets_a_manager_deactivate_a_client_but_not_an_owner(world):
    assert not actions.deactivate_member(world.a.manager, world.a.client).active
    with pytest.raises(PermissionDenied):
        actions.deactivate_member(world.a.manager, world.a.owner)


def test_it_refuses_deactivation_by_a_wrong_role_or_tenant(world):
    with pytest.raises(PermissionDenied):
        actions.deactivate_member(world.a.front_desk, world.a.client)
    with pytest.raises(NotFound):
        actions.deactivate_member(world.b.owner, world.a.client)


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_owner_when_two_owners_remove_each_other_at_once(world):
    second = factories.MembershipFactory(organization=world.a.organization, role="owner")
    first = world.a.owner
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def remove(actor, target):
        try:
            barrier.wait()
            actions.deactivate_member(actor, target)
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            close_old_connections()

    threads = [
        threading.Thread(target=remove, args=(first, second)),
        threading.Thread(target=remove, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["membership.last_owner", "ok"]
    assert (
        Membership.objects.filter(
            organization=world.a.organization, role="owner", active=True
        ).count()
        == 1
    )


# --- queries --------------------------------------------------------------------------------


def test_it_lists_members_for_staff_with_clients_only_for_those_who_may_see_them(world):
    everyone = {m.role for m in queries.members_for(world.a.front_desk)}
    assert everyone == {"owner", "manager", "front_desk", "instructor", "client"}
    team = {m.role for m in queries.members_for(world.a.instructor)}
    assert team == {"owner", "manager", "front_desk", "instructor"}
    with pytest.raises(PermissionDenied):
        queries.members_for(world.a.instructor, role="client")
    with pytest.raises(PermissionDenied):
        queries.members_for(world.a.client)
    assert [m.pk for m in queries.members_for(world.a.owner, role="client")] == [world.a.client.pk]


def test_it_lists_members_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    for _ in range(5):
        factories.MembershipFactory(
            organization=world.a.organization,
            role="instructor",
            studios=[world.a.studio, world.a.other_studio],
        )
    with django_assert_num_queries(2):
        rows = [
            (m.user.email, [s.name for s in m.studios.all()])
            for m in queries.members_for(world.a.owner)
        ]
    assert len(rows) == 10
    assert all(
        m.organization_id == world.a.organization.pk for m in queries.members_for(world.a.owner)
    )


def test_it_lists_invitations_a_manager_could_have_sent(world):
    mine = actions.invite_staff(
        world.a.manager, email="x@example.com", role="instructor", studios=[world.a.studio]
    )
    actions.invite_staff(
        world.a.owner, email="y@example.com", role="manager", studios=[world.a.studio]
    )
    actions.invite_staff(
        world.a.owner, email="z@example.com", role="instructor", studios=[world.a.other_studio]
    )
    actions.invite_staff(world.b.owner, email="w@example.com", role="owner")
    assert [i.pk for i in queries.invitations_for(world.a.manager)] == [mine.pk]
    assert queries.invitations_for(world.a.owner).count() == 3
    with pytest.raises(PermissionDenied):
        queries.invitations_for(world.a.instructor)
