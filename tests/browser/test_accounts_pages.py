"""Accounts pages in Chromium: accessible (axe), no CSP violation, working without htmx."""

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from allocations.accounts.models import Membership, Organisation, Role
from tests.browser.conftest import assert_accessible
from tests.factories import TEST_TOTP_SECRET, UserFactory, make_staff
from tests.factories_accounts import InvitationFactory, make_owned_organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def _sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In").click()


def test_register_an_organisation_with_a_bad_then_good_bin(page):
    user = UserFactory()
    _sign_in(page, user.email)
    page.goto("/organisations/new/")
    assert_accessible(page)
    page.get_by_label("Legal name").fill("Steppe Compute LLP")
    page.get_by_label("BIN (business identification number)").fill("940140000386")
    page.get_by_label("Legal address").fill("Astana")
    with page.expect_navigation():
        page.get_by_role("button", name="Register").click()
    assert "check-digit" in page.locator("#id_bin_error").inner_text()
    assert page.get_by_label("Legal name").input_value() == "Steppe Compute LLP"
    assert_accessible(page)
    page.get_by_label("BIN (business identification number)").fill("940140000385")
    with page.expect_navigation():
        page.get_by_role("button", name="Register").click()
    organisation = Organisation.objects.get(bin="940140000385")
    assert Membership.objects.filter(organisation=organisation, user=user).exists()
    assert page.locator("h1").inner_text() == "Steppe Compute LLP"
    assert_accessible(page)


def test_owner_pages_are_accessible(page):
    owner = UserFactory()
    organisation = make_owned_organisation(owner=owner)
    InvitationFactory(organisation=organisation)
    _sign_in(page, owner.email)
    for path in (
        "/organisations/",
        f"/organisations/{organisation.pk}/",
        f"/organisations/{organisation.pk}/edit/",
        f"/organisations/{organisation.pk}/invitations/new/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
    ):
        page.goto(path)
        assert page.locator("h1").count() == 1, path
        assert_accessible(page)


def test_totp_enrolment_and_mfa_login_pages_are_accessible(page):
    user = UserFactory()
    _sign_in(page, user.email)
    page.goto("/accounts/2fa/totp/activate/")
    assert_accessible(page)  # the re-authentication page
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()
    assert page.locator("img.qr-code").count() == 1
    assert_accessible(page)
    secret = page.get_by_label("Authenticator secret").input_value()
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    page.get_by_label("Authenticator code").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Activate").click()
    assert_accessible(page)
    page.goto("/accounts/logout/")
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Sign Out").click()
    _sign_in(page, user.email)
    assert "/2fa/authenticate/" in page.url
    assert_accessible(page)


def test_staff_user_administration_is_accessible(page):
    admin = make_staff(Role.ADMIN)
    target = UserFactory(email="target.person@example.org")
    _sign_in(page, admin.email)
    code = format_hotp_value(hotp_value(TEST_TOTP_SECRET, int(time.time()) // 30))
    page.get_by_label("Code").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In").click()
    page.goto("/staff/users/")
    assert_accessible(page)
    # htmx search swaps only the results.
    page.get_by_label("Search by e-mail or name").fill("target.person")
    page.wait_for_function("() => document.querySelectorAll('#user-results tbody tr').length === 1")
    assert "target.person@example.org" in page.locator("#user-results").inner_text()
    page.goto(f"/staff/users/{target.pk}/")
    page.get_by_label("Role to grant").select_option("finance")
    with page.expect_navigation():
        page.get_by_role("button", name="Grant").click()
    assert target.role_grants.filter(role="finance").exists()
    assert_accessible(page)
