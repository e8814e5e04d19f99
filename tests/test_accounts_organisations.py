"""Registering, listing, viewing and editing organisations."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allocations.accounts.models import Membership, MembershipRole, Organisation
from allocations.core.models import AuditEvent
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.factories_accounts import (
    UniqueBinOrganisationFactory,
    fresh_bin,
    make_owned_organisation,
)

pytestmark = pytest.mark.django_db

CREATE = reverse("accounts:organisation_create")


def _form(**overrides):
    data = {
        "legal_name": "Qazaq Compute LLP",
        "country": "KZ",
        "bin": "940140000385",
        "category": "startup",
        "address": "Astana, Kabanbay Batyr 53",
    }
    data.update(overrides)
    return data


def test_register_makes_the_creator_owner_and_writes_an_audit_event(client, applicant):
    client.force_login(applicant)
    response = client.post(CREATE, _form())
    organisation = Organisation.objects.get(bin="940140000385")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:organisation_detail", args=[organisation.pk])
    membership = Membership.objects.get(organisation=organisation)
    assert (membership.user, membership.role) == (applicant, MembershipRole.OWNER)
    assert organisation.created_by == applicant
    event = AuditEvent.objects.get(verb="organisation.registered")
    assert (event.actor, event.target_id) == (applicant, str(organisation.pk))


def test_bin_with_spaces_is_accepted(client, applicant):
    client.force_login(applicant)
    client.post(CREATE, _form(bin="9401 4000 0385"))
    assert Organisation.objects.filter(bin="940140000385").exists()


@pytest.mark.parametrize(
    ("bad_bin", "message"),
    [
        ("940140000386", "fails the check-digit test"),
        ("94014000038", "exactly 12 digits"),
        ("94014000038X", "exactly 12 digits"),
        ("", "A BIN is required"),
    ],
)
def test_bad_bin_is_shown_next_to_the_field_and_nothing_is_saved(
    client, applicant, bad_bin, message
):
    client.force_login(applicant)
    response = client.post(CREATE, _form(bin=bad_bin, legal_name="Typed Name LLP"))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    # The error sits in the BIN field's own error list, right after its input.
    assert 'id="id_bin_error"' in html
    assert html.index('id="id_bin"') < html.index(message)
    assert 'aria-invalid="true"' in html
    assert 'value="Typed Name LLP"' in html
    assert "Astana, Kabanbay Batyr 53" in html
    assert not Organisation.objects.exists()
    assert not Membership.objects.exists()
    assert not AuditEvent.objects.exists()


def test_missing_fields_are_reported_and_nothing_is_saved(client, applicant):
    client.force_login(applicant)
    response = client.post(CREATE, _form(legal_name="", category="nonsense", country="XX"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"legal_name", "category", "country"}
    assert not Organisation.objects.exists()


def test_duplicate_bin_says_ask_the_owner_for_an_invitation(client, applicant, other_applicant):
    existing = make_owned_organisation(owner=other_applicant)
    client.force_login(applicant)
    response = client.post(CREATE, _form(bin=existing.bin, legal_name="Copy Cat LLP"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "already registered" in html and "invite you" in html
    assert 'value="Copy Cat LLP"' in html
    assert Organisation.objects.count() == 1
    assert not Membership.objects.filter(user=applicant).exists()


def test_non_resident_without_bin_is_accepted(client, applicant):
    client.force_login(applicant)
    response = client.post(CREATE, _form(country="DE", bin="", legal_name="Berlin AI GmbH"))
    assert response.status_code == 302
    organisation = Organisation.objects.get(legal_name="Berlin AI GmbH")
    assert organisation.bin is None and organisation.country == "DE"


def test_non_resident_with_bin_is_refused(client, applicant):
    client.force_login(applicant)
    response = client.post(CREATE, _form(country="DE", legal_name="Berlin AI GmbH"))
    assert response.status_code == 200
    assert "Only organisations registered in Kazakhstan have a BIN" in response.content.decode()
    assert "bin" in response.context["form"].errors
    assert not Organisation.objects.exists()


def test_country_choices_come_from_django_countries(client, applicant):
    client.force_login(applicant)
    html = client.get(CREATE).content.decode()
    assert '<option value="KZ" selected>Kazakhstan</option>' in html
    assert '<option value="DE">Germany</option>' in html


def test_user_may_belong_to_several_organisations(client, applicant):
    first = make_owned_organisation(owner=applicant, legal_name="Alpha LLP")
    second = UniqueBinOrganisationFactory(legal_name="Beta University")
    MembershipFactory(organisation=second, user=applicant, role=MembershipRole.MEMBER)
    UniqueBinOrganisationFactory(legal_name="Not Mine LLP")
    client.force_login(applicant)
    html = client.get(reverse("accounts:organisation_list")).content.decode()
    assert "Alpha LLP" in html and "Beta University" in html
    assert "Not Mine LLP" not in html
    assert reverse("accounts:organisation_detail", args=[first.pk]) in html


def test_list_runs_a_constant_number_of_queries(client, applicant):
    client.force_login(applicant)
    make_owned_organisation(owner=applicant)
    url = reverse("accounts:organisation_list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(6):
        organisation = make_owned_organisation(owner=applicant)
        MembershipFactory(organisation=organisation, role=MembershipRole.MEMBER)
        ProjectFactory(organisation=organisation, pi=applicant)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["organisations"][0].project_count in (0, 1)
    assert len(many) == len(few)


def test_detail_shows_members_projects_and_pending_invitations_to_owners(client, applicant):
    from tests.factories_accounts import InvitationFactory

    organisation = make_owned_organisation(owner=applicant)
    colleague = UserFactory(email="colleague@example.org")
    MembershipFactory(organisation=organisation, user=colleague, role=MembershipRole.BILLING)
    InvitationFactory(organisation=organisation, email="pending@example.org")
    ProjectFactory(organisation=organisation, pi=applicant)
    client.force_login(applicant)
    response = client.get(reverse("accounts:organisation_detail", args=[organisation.pk]))
    html = response.content.decode()
    assert "colleague@example.org" in html and "Billing contact" in html
    assert "pending@example.org" in html
    assert response.context["project_count"] == 1
    # A plain member sees the members but not the pending invitations.
    client.force_login(colleague)
    html = client.get(reverse("accounts:organisation_detail", args=[organisation.pk])).content
    assert b"pending@example.org" not in html
    assert applicant.email.encode() in html


def test_detail_runs_a_constant_number_of_queries(client, applicant):
    from tests.factories_accounts import InvitationFactory

    organisation = make_owned_organisation(owner=applicant)
    url = reverse("accounts:organisation_detail", args=[organisation.pk])
    client.force_login(applicant)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        MembershipFactory(organisation=organisation, role=MembershipRole.MEMBER)
        InvitationFactory(organisation=organisation)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_owner_edits_details_and_an_audit_event_lists_the_changes(client, applicant):
    organisation = make_owned_organisation(owner=applicant, legal_name="Old Name LLP")
    client.force_login(applicant)
    url = reverse("accounts:organisation_edit", args=[organisation.pk])
    assert 'value="Old Name LLP"' in client.get(url).content.decode()
    response = client.post(
        url, _form(bin=organisation.bin, legal_name="New Name LLP", category="research")
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.legal_name == "New Name LLP"
    event = AuditEvent.objects.get(verb="organisation.updated")
    assert event.data["changes"]["legal_name"] == ["Old Name LLP", "New Name LLP"]


def test_edit_with_bad_bin_keeps_values_and_changes_nothing(client, applicant):
    organisation = make_owned_organisation(owner=applicant, legal_name="Kept LLP")
    original_bin = organisation.bin
    client.force_login(applicant)
    url = reverse("accounts:organisation_edit", args=[organisation.pk])
    response = client.post(url, _form(bin="123456789012", legal_name="Typed LLP"))
    assert response.status_code == 200
    assert 'value="Typed LLP"' in response.content.decode()
    organisation.refresh_from_db()
    assert (organisation.legal_name, organisation.bin) == ("Kept LLP", original_bin)
    assert not AuditEvent.objects.filter(verb="organisation.updated").exists()


def test_edit_to_a_bin_of_another_organisation_is_refused(client, applicant):
    mine = make_owned_organisation(owner=applicant)
    theirs = make_owned_organisation()
    client.force_login(applicant)
    response = client.post(
        reverse("accounts:organisation_edit", args=[mine.pk]), _form(bin=theirs.bin)
    )
    assert "already registered" in response.content.decode()
    mine.refresh_from_db()
    assert mine.bin != theirs.bin


def test_member_who_is_not_owner_may_not_edit(client, applicant):
    organisation = make_owned_organisation()
    MembershipFactory(organisation=organisation, user=applicant, role=MembershipRole.MEMBER)
    client.force_login(applicant)
    url = reverse("accounts:organisation_edit", args=[organisation.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _form(bin=fresh_bin())).status_code == 403


def test_service_refuses_users_without_apply_capability():
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    from allocations.accounts import services

    with pytest.raises(PermissionDenied):
        services.register_organisation(
            actor=AnonymousUser(),
            legal_name="X",
            bin="940140000385",
            category="startup",
            country="KZ",
            address="",
        )
