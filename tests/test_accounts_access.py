"""Who may use which route of the accounts area, per role and per ownership."""

import pytest
from django.urls import reverse

from allocations.accounts.models import Membership, MembershipRole, Role, RoleGrant
from tests.conftest import ROLE_FIXTURES
from tests.factories import MembershipFactory, UserFactory
from tests.factories_accounts import InvitationFactory, make_owned_organisation

pytestmark = pytest.mark.django_db


def _assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def _check(response, expected):
    if expected == "login":
        _assert_login_redirect(response)
    else:
        assert response.status_code == expected, response


@pytest.fixture
def foreign(db):
    """An organisation none of the role fixtures belongs to, with a member and an invitation."""
    organisation = make_owned_organisation(legal_name="Foreign Org LLP")
    member = MembershipFactory(organisation=organisation, role=MembershipRole.MEMBER)
    invitation = InvitationFactory(organisation=organisation)
    return organisation, member, invitation


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize("route", ["accounts:organisation_list", "accounts:organisation_create"])
def test_own_area_pages_per_role(client_as, role, route):
    client, _user = client_as(role)
    _check(client.get(reverse(route)), "login" if role == "anonymous" else 200)


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize(
    "route",
    ["accounts:organisation_detail", "accounts:organisation_edit", "accounts:invitation_create"],
)
def test_foreign_organisation_pages_are_404(client_as, role, route, foreign):
    organisation, _member, _invitation = foreign
    client, _user = client_as(role)
    response = client.get(reverse(route, args=[organisation.pk]))
    _check(response, "login" if role == "anonymous" else 404)
    if role != "anonymous":
        assert b"Foreign Org LLP" not in response.content


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_foreign_organisation_actions_are_404_and_change_nothing(client_as, role, foreign):
    organisation, member, invitation = foreign
    client, _user = client_as(role)
    expected = "login" if role == "anonymous" else 404
    posts = [
        (reverse("accounts:member_role", args=[organisation.pk, member.pk]), {"role": "owner"}),
        (reverse("accounts:member_remove", args=[organisation.pk, member.pk]), {}),
        (reverse("accounts:invitation_revoke", args=[organisation.pk, invitation.pk]), {}),
        (reverse("accounts:organisation_leave", args=[organisation.pk]), {}),
        (reverse("accounts:organisation_edit", args=[organisation.pk]), {"legal_name": "X"}),
        (
            reverse("accounts:invitation_create", args=[organisation.pk]),
            {"email": "x@example.org", "role": "owner"},
        ),
    ]
    for url, data in posts:
        _check(client.post(url, data), expected)
    member.refresh_from_db()
    invitation.refresh_from_db()
    organisation.refresh_from_db()
    assert member.role == MembershipRole.MEMBER and invitation.state == "pending"
    assert organisation.legal_name == "Foreign Org LLP"
    assert organisation.invitations.count() == 1


@pytest.mark.parametrize("role", [r for r in ROLE_FIXTURES if r != "anonymous"])
@pytest.mark.parametrize(
    "route",
    ["accounts:organisation_detail", "accounts:organisation_edit", "accounts:invitation_create"],
)
def test_every_role_may_manage_an_organisation_it_owns(client_as, role, route):
    client, user = client_as(role)
    organisation = make_owned_organisation(owner=user, legal_name="Owned Org LLP")
    response = client.get(reverse(route, args=[organisation.pk]))
    assert response.status_code == 200
    assert b"Owned Org LLP" in response.content


@pytest.mark.parametrize(
    ("membership_role", "route", "expected"),
    [
        (MembershipRole.MEMBER, "accounts:organisation_detail", 200),
        (MembershipRole.MEMBER, "accounts:organisation_edit", 403),
        (MembershipRole.MEMBER, "accounts:invitation_create", 403),
        (MembershipRole.BILLING, "accounts:organisation_detail", 200),
        (MembershipRole.BILLING, "accounts:organisation_edit", 403),
        (MembershipRole.BILLING, "accounts:invitation_create", 403),
    ],
)
def test_members_who_are_not_owners(client, applicant, membership_role, route, expected):
    organisation = make_owned_organisation()
    MembershipFactory(organisation=organisation, user=applicant, role=membership_role)
    client.force_login(applicant)
    assert client.get(reverse(route, args=[organisation.pk])).status_code == expected


def test_owner_versus_other_applicant(client, applicant, other_applicant):
    organisation = make_owned_organisation(owner=applicant)
    member = MembershipFactory(organisation=organisation, role=MembershipRole.MEMBER)
    invitation = InvitationFactory(organisation=organisation)
    detail = reverse("accounts:organisation_detail", args=[organisation.pk])
    client.force_login(other_applicant)
    assert client.get(detail).status_code == 404
    client.post(reverse("accounts:invitation_revoke", args=[organisation.pk, invitation.pk]))
    client.post(reverse("accounts:member_remove", args=[organisation.pk, member.pk]))
    assert Membership.objects.filter(pk=member.pk).exists()
    invitation.refresh_from_db()
    assert invitation.state == "pending"
    client.force_login(applicant)
    assert client.get(detail).status_code == 200
    client.post(reverse("accounts:invitation_revoke", args=[organisation.pk, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.state == "revoked"


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_invitation_link_per_role(client_as, role, foreign):
    _organisation, _member, invitation = foreign
    client, _user = client_as(role)
    response = client.get(reverse("accounts:invitation_accept", args=[invitation.token]))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == reverse("account_signup")
    else:
        # Not the invited address: the page explains and nothing changes on POST.
        assert response.status_code == 200
        assert b"was sent to" in response.content
        post = client.post(reverse("accounts:invitation_accept", args=[invitation.token]))
        assert post.status_code == 400
    assert Membership.objects.filter(organisation=invitation.organisation).count() == 2


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize("route", ["list", "detail"])
def test_staff_pages_per_role(client_as, role, route):
    client, _user = client_as(role)
    target = UserFactory()
    url = (
        reverse("accounts:staff_user_list")
        if route == "list"
        else reverse("accounts:staff_user_detail", args=[target.pk])
    )
    expected = {"anonymous": "login", "admin_user": 200}.get(role, 403)
    _check(client.get(url), expected)


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_staff_role_changes_per_role(client_as, role):
    client, _user = client_as(role)
    target = UserFactory()
    RoleGrant.objects.create(user=target, role=Role.REVIEWER)
    grant = reverse("accounts:staff_role_grant", args=[target.pk])
    revoke = reverse("accounts:staff_role_revoke", args=[target.pk, Role.REVIEWER])
    expected = {"anonymous": "login", "admin_user": 302}.get(role, 403)
    _check(client.post(grant, {"role": Role.FINANCE}), expected)
    _check(client.post(revoke), expected)
    remaining = set(RoleGrant.objects.filter(user=target).values_list("role", flat=True))
    assert remaining == ({"finance"} if role == "admin_user" else {"reviewer"})


@pytest.mark.parametrize(
    "url_name_and_args",
    [
        ("accounts:organisation_leave", 1),
        ("accounts:member_role", 2),
        ("accounts:member_remove", 2),
        ("accounts:invitation_revoke", 2),
    ],
)
def test_post_only_routes_refuse_get(client, applicant, url_name_and_args):
    name, arg_count = url_name_and_args
    organisation = make_owned_organisation(owner=applicant)
    client.force_login(applicant)
    args = [organisation.pk, 1][:arg_count]
    assert client.get(reverse(name, args=args)).status_code == 405


def test_staff_post_only_routes_refuse_get(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("accounts:staff_role_grant", args=[admin_user.pk])).status_code == 405
    url = reverse("accounts:staff_role_revoke", args=[admin_user.pk, Role.ADMIN])
    assert client.get(url).status_code == 405
