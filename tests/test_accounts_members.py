"""Owners change roles and remove members; the last owner is protected; members leave."""

import pytest
from django.urls import reverse

from allocations.accounts.models import Membership, MembershipRole
from allocations.core.models import AuditEvent
from tests.factories import MembershipFactory, UserFactory
from tests.factories_accounts import make_owned_organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation(applicant):
    return make_owned_organisation(owner=applicant)


@pytest.fixture
def member(organisation):
    return MembershipFactory(organisation=organisation, role=MembershipRole.MEMBER)


def _role_url(organisation, membership):
    return reverse("accounts:member_role", args=[organisation.pk, membership.pk])


def _remove_url(organisation, membership):
    return reverse("accounts:member_remove", args=[organisation.pk, membership.pk])


def test_owner_promotes_a_member_with_an_audit_event(client, applicant, organisation, member):
    client.force_login(applicant)
    response = client.post(_role_url(organisation, member), {"role": "owner"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == MembershipRole.OWNER
    event = AuditEvent.objects.get(verb="membership.role_changed")
    assert (event.from_state, event.to_state, event.actor) == ("member", "owner", applicant)


def test_last_owner_cannot_demote_themself(client, applicant, organisation):
    own = Membership.objects.get(user=applicant)
    client.force_login(applicant)
    response = client.post(_role_url(organisation, own), {"role": "member"}, follow=True)
    assert "at least one owner" in response.content.decode()
    own.refresh_from_db()
    assert own.role == MembershipRole.OWNER
    assert not AuditEvent.objects.filter(verb="membership.role_changed").exists()


def test_owner_may_step_down_when_another_owner_exists(client, applicant, organisation, member):
    member.role = MembershipRole.OWNER
    member.save()
    own = Membership.objects.get(user=applicant)
    client.force_login(applicant)
    client.post(_role_url(organisation, own), {"role": "billing"})
    own.refresh_from_db()
    assert own.role == MembershipRole.BILLING


def test_last_owner_cannot_leave(client, applicant, organisation, member):
    client.force_login(applicant)
    response = client.post(
        reverse("accounts:organisation_leave", args=[organisation.pk]), follow=True
    )
    assert "at least one owner" in response.content.decode()
    assert Membership.objects.filter(user=applicant, organisation=organisation).exists()


def test_last_owner_cannot_be_removed_by_themself(client, applicant, organisation):
    own = Membership.objects.get(user=applicant)
    client.force_login(applicant)
    client.post(_remove_url(organisation, own))
    assert Membership.objects.filter(pk=own.pk).exists()


def test_owner_removes_a_member(client, applicant, organisation, member):
    client.force_login(applicant)
    response = client.post(_remove_url(organisation, member))
    assert response["Location"] == reverse("accounts:organisation_detail", args=[organisation.pk])
    assert not Membership.objects.filter(pk=member.pk).exists()
    event = AuditEvent.objects.get(verb="membership.removed")
    assert event.data["user_id"] == member.user_id


def test_member_leaves(client, organisation, member):
    client.force_login(member.user)
    response = client.post(reverse("accounts:organisation_leave", args=[organisation.pk]))
    assert response["Location"] == reverse("accounts:organisation_list")
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert AuditEvent.objects.filter(verb="membership.left", actor=member.user).count() == 1


def test_member_cannot_change_roles_or_remove_others(client, applicant, organisation, member):
    own_owner = Membership.objects.get(user=applicant)
    client.force_login(member.user)
    assert client.post(_role_url(organisation, member), {"role": "owner"}).status_code == 403
    assert client.post(_remove_url(organisation, own_owner)).status_code == 403
    member.refresh_from_db()
    assert member.role == MembershipRole.MEMBER
    assert Membership.objects.filter(pk=own_owner.pk).exists()


def test_outsider_gets_404_and_nothing_changes(client, organisation, member):
    outsider = UserFactory()
    client.force_login(outsider)
    assert client.post(_role_url(organisation, member), {"role": "owner"}).status_code == 404
    assert client.post(_remove_url(organisation, member)).status_code == 404
    assert (
        client.post(reverse("accounts:organisation_leave", args=[organisation.pk])).status_code
        == 404
    )
    assert Membership.objects.filter(pk=member.pk, role=MembershipRole.MEMBER).exists()


def test_membership_of_another_organisation_is_404(client, applicant, organisation):
    elsewhere = MembershipFactory(
        organisation=make_owned_organisation(), role=MembershipRole.MEMBER
    )
    client.force_login(applicant)
    assert client.post(_role_url(organisation, elsewhere), {"role": "owner"}).status_code == 404
    assert client.post(_remove_url(organisation, elsewhere)).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.role == MembershipRole.MEMBER


def test_invalid_role_is_refused(client, applicant, organisation, member):
    client.force_login(applicant)
    response = client.post(_role_url(organisation, member), {"role": "emperor"}, follow=True)
    assert "Choose a valid role" in response.content.decode()
    member.refresh_from_db()
    assert member.role == MembershipRole.MEMBER


def test_leave_button_hidden_for_the_last_owner(client, applicant, organisation, member):
    client.force_login(applicant)
    url = reverse("accounts:organisation_detail", args=[organisation.pk])
    leave = reverse("accounts:organisation_leave", args=[organisation.pk])
    assert leave not in client.get(url).content.decode()
    client.force_login(member.user)
    assert leave in client.get(url).content.decode()
