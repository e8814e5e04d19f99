"""Administrators search people and grant or revoke their global roles."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allocations.accounts.models import Role, RoleGrant
from allocations.core.models import AuditEvent
from tests.factories import UserFactory, make_staff

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:staff_user_list")


def test_search_by_email_and_by_name(client, admin_user):
    UserFactory(email="aigerim@uni.kz", full_name="Aigerim Sadykova")
    UserFactory(email="daniyar@startup.kz", full_name="Daniyar Bekov")
    client.force_login(admin_user)
    html = client.get(LIST, {"q": "UNI.KZ"}).content.decode()
    assert "aigerim@uni.kz" in html and "daniyar@startup.kz" not in html
    html = client.get(LIST, {"q": "bekov"}).content.decode()
    assert "daniyar@startup.kz" in html and "aigerim@uni.kz" not in html


def test_htmx_search_returns_only_the_results_partial(client, admin_user):
    UserFactory(email="partial@example.org")
    client.force_login(admin_user)
    response = client.get(
        LIST, {"q": "partial"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="user-results"
    )
    html = response.content.decode()
    assert "partial@example.org" in html
    assert html.lstrip().startswith('<div id="user-results"')
    assert "<html" not in html


def test_pagination_and_constant_queries(client, admin_user):
    client.force_login(admin_user)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(30):
        make_staff(Role.REVIEWER)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(many) == len(few)
    page = response.context["page"]
    assert page.paginator.count == 31 and len(page.object_list) == 25
    second = client.get(LIST, {"page": 2})
    assert len(second.context["page"].object_list) == 6
    assert client.get(LIST, {"page": "abc"}).status_code == 200  # bad page number: first page


def test_grant_and_revoke_a_role_with_audit_events(client, admin_user, applicant):
    client.force_login(admin_user)
    url = reverse("accounts:staff_role_grant", args=[applicant.pk])
    response = client.post(url, {"role": Role.REVIEWER})
    assert response.status_code == 302
    assert RoleGrant.objects.filter(user=applicant, role=Role.REVIEWER).exists()
    granted = AuditEvent.objects.get(verb="role.granted")
    assert (granted.actor, granted.to_state, granted.target_id) == (
        admin_user,
        "reviewer",
        str(applicant.pk),
    )
    detail = client.get(reverse("accounts:staff_user_detail", args=[applicant.pk]))
    assert "granted the role Reviewer" in detail.content.decode()

    revoke = reverse("accounts:staff_role_revoke", args=[applicant.pk, Role.REVIEWER])
    assert client.post(revoke).status_code == 302
    assert not RoleGrant.objects.filter(user=applicant).exists()
    assert AuditEvent.objects.filter(verb="role.revoked", from_state="reviewer").count() == 1


def test_applicant_role_cannot_be_granted(client, admin_user, applicant):
    client.force_login(admin_user)
    url = reverse("accounts:staff_role_grant", args=[applicant.pk])
    response = client.post(url, {"role": Role.APPLICANT})
    assert response.status_code == 400
    assert 'id="id_role_error"' in response.content.decode()
    assert not RoleGrant.objects.filter(user=applicant).exists()
    options = response.content.decode().split('name="role"')[1].split("</select>")[0]
    assert 'value="applicant"' not in options and 'value="finance"' in options


def test_granting_a_held_role_shows_the_error_next_to_the_field(client, admin_user, reviewer):
    client.force_login(admin_user)
    url = reverse("accounts:staff_role_grant", args=[reviewer.pk])
    response = client.post(url, {"role": Role.REVIEWER})
    assert response.status_code == 400
    assert "already holds that role" in response.content.decode()
    assert RoleGrant.objects.filter(user=reviewer).count() == 1
    assert not AuditEvent.objects.exists()


def test_admin_cannot_revoke_their_own_admin_role(client, admin_user):
    client.force_login(admin_user)
    url = reverse("accounts:staff_role_revoke", args=[admin_user.pk, Role.ADMIN])
    response = client.post(url, follow=True)
    assert "cannot revoke your own administrator role" in response.content.decode()
    assert RoleGrant.objects.filter(user=admin_user, role=Role.ADMIN).exists()


def test_revoking_a_role_not_held_is_404(client, admin_user, applicant):
    client.force_login(admin_user)
    url = reverse("accounts:staff_role_revoke", args=[applicant.pk, Role.FINANCE])
    assert client.post(url).status_code == 404


def test_unknown_user_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("accounts:staff_user_detail", args=[999999])).status_code == 404
    url = reverse("accounts:staff_role_grant", args=[999999])
    assert client.post(url, {"role": Role.REVIEWER}).status_code == 404


def test_a_new_staff_member_must_enrol_totp_at_once(client, admin_user, applicant):
    client.force_login(admin_user)
    client.post(reverse("accounts:staff_role_grant", args=[applicant.pk]), {"role": Role.FINANCE})
    client.force_login(applicant)
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
