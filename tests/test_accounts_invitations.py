"""Inviting people by e-mail, revoking, accepting, expiring."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from allocations.accounts import invitation_services as services
from allocations.accounts.models import Invitation, InvitationState, Membership, MembershipRole
from allocations.accounts.tasks import expire_invitations
from allocations.core.models import AuditEvent
from tests.factories import MembershipFactory, UserFactory
from tests.factories_accounts import InvitationFactory, make_owned_organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation(applicant):
    return make_owned_organisation(owner=applicant, legal_name="Steppe Labs LLP")


def _accept_url(invitation):
    return reverse("accounts:invitation_accept", args=[invitation.token])


def test_owner_invites_and_the_email_is_in_the_inviters_language(
    client, applicant, organisation, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    url = reverse("accounts:invitation_create", args=[organisation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"email": "New.Person@Example.org", "role": "billing"}, HTTP_ACCEPT_LANGUAGE="ru"
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.state) == (
        "new.person@example.org",
        MembershipRole.BILLING,
        InvitationState.PENDING,
    )
    assert invitation.invited_by == applicant
    assert AuditEvent.objects.filter(verb="invitation.created", actor=applicant).count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.org"]
    assert "Steppe Labs LLP" in message.subject
    assert _accept_url(invitation) in message.body
    # Russian, because the inviter used the Russian interface.
    assert re.search("[а-яА-Я]", message.subject + message.body), message.body


def test_one_pending_invitation_per_address(client, applicant, organisation):
    InvitationFactory(organisation=organisation, email="twice@example.org")
    client.force_login(applicant)
    url = reverse("accounts:invitation_create", args=[organisation.pk])
    response = client.post(url, {"email": "TWICE@example.org", "role": "member"})
    assert response.status_code == 200
    assert "already pending" in response.content.decode()
    assert 'value="TWICE@example.org"' in response.content.decode()
    assert Invitation.objects.count() == 1


def test_inviting_a_member_again_is_refused(client, applicant, organisation):
    client.force_login(applicant)
    url = reverse("accounts:invitation_create", args=[organisation.pk])
    response = client.post(url, {"email": applicant.email.upper(), "role": "member"})
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_bad_invitation_input_is_shown_next_to_fields(client, applicant, organisation):
    client.force_login(applicant)
    url = reverse("accounts:invitation_create", args=[organisation.pk])
    response = client.post(url, {"email": "not-an-address", "role": "emperor"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_email_error"' in html and 'id="id_role_error"' in html
    assert 'value="not-an-address"' in html
    assert not Invitation.objects.exists()


def test_happy_path_accept(client, organisation):
    invitee = UserFactory(email="invitee@example.org")
    invitation = InvitationFactory(organisation=organisation, email="Invitee@Example.org")
    client.force_login(invitee)
    page = client.get(_accept_url(invitation))
    assert page.status_code == 200 and "Steppe Labs LLP" in page.content.decode()
    assert not Membership.objects.filter(user=invitee).exists()  # GET changes nothing
    response = client.post(_accept_url(invitation))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:organisation_detail", args=[organisation.pk])
    membership = Membership.objects.get(user=invitee)
    assert membership.role == invitation.role
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.ACCEPTED and invitation.accepted_by == invitee
    assert AuditEvent.objects.filter(verb="invitation.accepted", actor=invitee).count() == 1


def _assert_nothing_changed(client, invitation, user, expected_text, expected_state):
    response = client.post(_accept_url(invitation))
    assert response.status_code == 400
    assert expected_text in response.content.decode()
    assert not Membership.objects.filter(user=user, organisation=invitation.organisation).exists()
    invitation.refresh_from_db()
    assert invitation.state == expected_state
    assert not AuditEvent.objects.filter(verb="invitation.accepted").exists()


def test_wrong_email_is_refused(client, organisation):
    stranger = UserFactory(email="stranger@example.org")
    invitation = InvitationFactory(organisation=organisation, email="invitee@example.org")
    client.force_login(stranger)
    assert "was sent to invitee@example.org" in client.get(_accept_url(invitation)).content.decode()
    _assert_nothing_changed(
        client, invitation, stranger, "was sent to invitee@example.org", InvitationState.PENDING
    )


def test_unverified_matching_email_is_refused(client, organisation):
    person = UserFactory(email="invitee@example.org", verified=False)
    EmailAddress.objects.create(user=person, email=person.email, verified=False, primary=True)
    invitation = InvitationFactory(organisation=organisation, email="invitee@example.org")
    client.force_login(person)
    _assert_nothing_changed(client, invitation, person, "was sent to", InvitationState.PENDING)


def test_secondary_verified_address_is_enough(client, organisation):
    person = UserFactory(email="main@example.org")
    EmailAddress.objects.create(user=person, email="work@example.org", verified=True)
    invitation = InvitationFactory(organisation=organisation, email="work@example.org")
    client.force_login(person)
    client.post(_accept_url(invitation))
    assert Membership.objects.filter(user=person, organisation=organisation).exists()


def test_expired_invitation_is_refused(client, organisation):
    invitee = UserFactory(email="late@example.org")
    invitation = InvitationFactory(
        organisation=organisation,
        email="late@example.org",
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    client.force_login(invitee)
    _assert_nothing_changed(client, invitation, invitee, "has expired", InvitationState.PENDING)


def test_revoked_invitation_is_refused(client, applicant, organisation):
    invitee = UserFactory(email="revoked@example.org")
    invitation = InvitationFactory(organisation=organisation, email="revoked@example.org")
    client.force_login(applicant)
    response = client.post(
        reverse("accounts:invitation_revoke", args=[organisation.pk, invitation.pk])
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.REVOKED
    assert AuditEvent.objects.filter(verb="invitation.revoked", actor=applicant).count() == 1
    client.force_login(invitee)
    _assert_nothing_changed(client, invitation, invitee, "was revoked", InvitationState.REVOKED)


def test_revoking_twice_reports_and_changes_nothing(client, applicant, organisation):
    invitation = InvitationFactory(organisation=organisation, state=InvitationState.ACCEPTED)
    client.force_login(applicant)
    response = client.post(
        reverse("accounts:invitation_revoke", args=[organisation.pk, invitation.pk]), follow=True
    )
    assert "Only a pending invitation can be revoked" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.ACCEPTED


def test_used_invitation_cannot_be_reused(client, organisation):
    first = UserFactory(email="shared@example.org")
    invitation = InvitationFactory(organisation=organisation, email="shared@example.org")
    client.force_login(first)
    client.post(_accept_url(invitation))
    assert Membership.objects.filter(user=first).count() == 1
    # Another account that also verified the address cannot use the link again.
    second = UserFactory(email="second@example.org")
    EmailAddress.objects.create(user=second, email="other-shared@example.org", verified=True)
    client.force_login(second)
    response = client.post(_accept_url(invitation))
    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    assert not Membership.objects.filter(user=second).exists()
    assert AuditEvent.objects.filter(verb="invitation.accepted").count() == 1


def test_unknown_token_is_404(client, applicant):
    client.force_login(applicant)
    assert client.get(reverse("accounts:invitation_accept", args=["nope"])).status_code == 404
    client.logout()
    assert client.get(reverse("accounts:invitation_accept", args=["nope"])).status_code == 404


def test_anonymous_visitor_signs_up_confirms_and_comes_back(client, organisation, mailoutbox):
    invitation = InvitationFactory(organisation=organisation, email="newcomer@example.org")
    response = client.get(_accept_url(invitation))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")
    assert client.session["pending_invitation_token"] == invitation.token

    response = client.post(
        reverse("account_signup"),
        {
            "email": "newcomer@example.org",
            "full_name": "New Comer",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302
    body = mailoutbox[-1].body
    confirm_path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", body).group(1)
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert response["Location"] == _accept_url(invitation)
    assert "pending_invitation_token" not in client.session

    response = client.post(_accept_url(invitation))
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="newcomer@example.org")
    assert membership.organisation == organisation
    assert membership.user.full_name == "New Comer"


def test_anonymous_visitor_with_an_account_is_sent_to_login_and_back(client, organisation):
    UserFactory(email="known@example.org")
    invitation = InvitationFactory(organisation=organisation, email="known@example.org")
    response = client.get(_accept_url(invitation))
    assert response["Location"] == reverse("account_login")
    response = client.post(
        reverse("account_login"),
        {"login": "known@example.org", "password": "correct-horse-battery"},
    )
    assert response.status_code == 302
    assert response["Location"] == _accept_url(invitation)


def test_anonymous_visitor_sees_why_an_expired_link_fails(client, organisation):
    invitation = InvitationFactory(
        organisation=organisation, expires_at=timezone.now() - timedelta(days=1)
    )
    response = client.get(_accept_url(invitation))
    assert response.status_code == 200
    assert "has expired" in response.content.decode()
    assert "pending_invitation_token" not in client.session


def test_expire_invitations_service_marks_only_overdue_pending_ones(organisation):
    now = timezone.now()
    overdue = InvitationFactory(organisation=organisation, expires_at=now - timedelta(hours=1))
    fresh = InvitationFactory(organisation=organisation, expires_at=now + timedelta(hours=1))
    accepted = InvitationFactory(
        organisation=organisation,
        expires_at=now - timedelta(hours=1),
        state=InvitationState.ACCEPTED,
    )
    assert services.expire_invitations(now=now) == 1
    assert services.expire_invitations(now=now) == 0  # idempotent
    states = {i.pk: i.state for i in Invitation.objects.all()}
    assert states == {
        overdue.pk: InvitationState.EXPIRED,
        fresh.pk: InvitationState.PENDING,
        accepted.pk: InvitationState.ACCEPTED,
    }
    assert AuditEvent.objects.filter(verb="invitation.expired").count() == 1


def test_expire_invitations_task_is_registered_under_its_beat_name(organisation):
    from portal.celery import app

    assert expire_invitations.name == "allocations.accounts.tasks.expire_invitations"
    assert app.conf.beat_schedule["expire-invitations"]["task"] == expire_invitations.name
    InvitationFactory(organisation=organisation, expires_at=timezone.now() - timedelta(days=1))
    assert expire_invitations.delay().get() == 1


def test_an_expired_invitation_frees_the_address_for_a_new_one(client, applicant, organisation):
    InvitationFactory(
        organisation=organisation,
        email="again@example.org",
        expires_at=timezone.now() - timedelta(days=1),
    )
    services.expire_invitations(now=timezone.now())
    client.force_login(applicant)
    client.post(
        reverse("accounts:invitation_create", args=[organisation.pk]),
        {"email": "again@example.org", "role": "member"},
    )
    assert Invitation.objects.filter(email="again@example.org").count() == 2


def test_members_who_are_not_owners_cannot_invite(client, applicant, organisation):
    member = UserFactory()
    MembershipFactory(organisation=organisation, user=member, role=MembershipRole.MEMBER)
    client.force_login(member)
    url = reverse("accounts:invitation_create", args=[organisation.pk])
    assert client.post(url, {"email": "x@example.org", "role": "owner"}).status_code == 403
    assert not Invitation.objects.exists()


def test_existing_member_cannot_accept_again(client, organisation):
    person = UserFactory(email="member@example.org")
    MembershipFactory(organisation=organisation, user=person, role=MembershipRole.MEMBER)
    invitation = InvitationFactory(
        organisation=organisation, email="member@example.org", role=MembershipRole.OWNER
    )
    client.force_login(person)
    response = client.post(_accept_url(invitation))
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    membership = Membership.objects.get(user=person, organisation=organisation)
    assert membership.role == MembershipRole.MEMBER
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.PENDING


def test_invitation_email_is_plain_text_without_html_escaping(
    applicant, django_capture_on_commit_callbacks, mailoutbox
):
    organisation = make_owned_organisation(owner=applicant, legal_name='"Bilim & Co" LLP')
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_member(
            actor=applicant,
            organisation_id=organisation.pk,
            email="plain@example.org",
            role=MembershipRole.MEMBER,
            language="en",
        )
    message = mailoutbox[0]
    assert '"Bilim & Co" LLP' in message.subject
    assert '"Bilim & Co" LLP' in message.body
    assert "&amp;" not in message.subject + message.body
