"""Sign-up, login, MFA and the other allauth pages, inside our layout."""

import re
import time
from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from allocations.accounts.models import Role, User
from tests.factories import TEST_TOTP_SECRET, UserFactory, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _code(secret: str = TEST_TOTP_SECRET) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _login(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _login_and_reauthenticate(client, email):
    """allauth asks for the password again before MFA changes; answer it."""
    _login(client, email)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


class _FormControls(HTMLParser):
    """Collects form controls and the labels pointing at them."""

    def __init__(self):
        super().__init__()
        self.controls, self.labels, self.hidden_labels = [], set(), set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            target = (
                self.hidden_labels
                if "visually-hidden" in (attrs.get("class") or "")
                else (self.labels)
            )
            target.add(attrs["for"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {
            "hidden",
            "submit",
            "button",
        }:
            self.controls.append(attrs.get("id"))


def assert_every_control_has_a_visible_label(html: str):
    parser = _FormControls()
    parser.feed(html)
    # The language switcher in the header is the layout's, labelled for screen readers.
    controls = [c for c in parser.controls if c != "language-select"]
    assert controls, "expected at least one form control"
    missing = [c for c in controls if c is None or c not in parser.labels]
    assert not missing, f"controls without a visible label: {missing}"


def assert_in_layout(html: str):
    assert 'class="site-header"' in html  # our base.html
    assert html.count("<h1") == 1


# --- Sign-up and confirmation -----------------------------------------------------------


def test_signup_sends_a_confirmation_email_and_confirming_logs_in(client, mailoutbox):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "Founder@Startup.kz",
            "full_name": "Aruzhan Founder",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 302
    sent_page = client.get(response["Location"])
    assert sent_page.status_code == 200
    assert_in_layout(sent_page.content.decode())
    user = User.objects.get(email__iexact="founder@startup.kz")
    assert user.full_name == "Aruzhan Founder"
    assert user.language == "ru"
    assert not EmailAddress.objects.get(user=user).verified
    # Not logged in until the address is confirmed.
    assert client.get(reverse("core:dashboard")).status_code == 302
    assert len(mailoutbox) == 1
    path = re.search(r"(/accounts/confirm-email/[^\s]+/)", mailoutbox[0].body).group(1)
    confirm_page = client.get(path)
    assert confirm_page.status_code == 200
    assert_in_layout(confirm_page.content.decode())
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_signup_errors_sit_next_to_the_fields_and_values_are_kept(client):
    UserFactory(email="taken@example.org")
    response = client.post(
        reverse("account_signup"),
        {"email": "not-an-address", "full_name": "", "password1": "short", "password2": "x"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_email_error"' in html and 'id="id_full_name_error"' in html
    assert html.index('id="id_email"') < html.index('id="id_email_error"')
    assert 'value="not-an-address"' in html
    assert User.objects.count() == 1
    assert_every_control_has_a_visible_label(html)


# --- Pages render inside the layout, with visible labels ------------------------------


@pytest.mark.parametrize("route", ["account_login", "account_signup", "account_reset_password"])
def test_entrance_pages_render_with_visible_labels(client, route):
    response = client.get(reverse(route))
    assert response.status_code == 200
    html = response.content.decode()
    assert_in_layout(html)
    assert_every_control_has_a_visible_label(html)
    assert 'class="button' in html


@pytest.mark.parametrize("route", ["account_email", "account_change_password", "mfa_activate_totp"])
def test_manage_pages_render_with_visible_labels(client, route):
    user = UserFactory()
    _login_and_reauthenticate(client, user.email)
    response = client.get(reverse(route))
    assert response.status_code == 200
    html = response.content.decode()
    assert_in_layout(html)
    assert_every_control_has_a_visible_label(html)
    assert reverse("mfa_index") in html  # the account settings navigation


@pytest.mark.parametrize("route", ["account_logout", "mfa_index", "account_reset_password_done"])
def test_other_pages_render(client, route):
    client.force_login(UserFactory())
    response = client.get(reverse(route))
    assert response.status_code == 200
    assert_in_layout(response.content.decode())


ALLAUTH_PAGES = [
    ("account_login", "Sign In", False),
    ("account_signup", "Sign Up", False),
    ("account_reset_password", "Password Reset", False),
    ("account_email", "Email Addresses", True),
    ("account_change_password", "Change Password", True),
    ("mfa_index", "Two-Factor Authentication", True),
    ("account_logout", "Sign Out", True),
]


@pytest.mark.parametrize("language", ["ru", "kk"])
@pytest.mark.parametrize(("route", "english", "signed_in"), ALLAUTH_PAGES)
def test_allauth_pages_are_translated(client, language, route, english, signed_in):
    if signed_in:
        client.force_login(UserFactory())
    response = client.get(reverse(route), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    h1 = re.search(r"<h1>\s*(.*?)\s*</h1>", html, re.S).group(1)
    with translation.override(language):
        assert h1 == translation.gettext(english)
    assert h1 != english, f"{english!r} is not translated into {language}"


# --- Login, logout, rate limits --------------------------------------------------------


def test_login_and_logout(client, applicant):
    response = _login(client, applicant.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_wrong_password_shows_an_error_in_the_form(client, applicant):
    response = _login(client, applicant.email, "wrong-password")
    assert response.status_code == 200
    html = response.content.decode()
    assert "not correct" in html
    assert f'value="{applicant.email}"' in html


def test_more_than_five_failed_logins_for_one_email_get_429(client, applicant):
    for _ in range(5):
        assert _login(client, applicant.email, "wrong-password").status_code == 200
    response = _login(client, applicant.email, "wrong-password")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    # Even the right password is refused while the limit lasts.
    assert _login(client, applicant.email).status_code == 429
    # Another address is not affected.
    other = UserFactory()
    assert _login(client, other.email).status_code == 302


# --- Password reset and change, e-mail management --------------------------------------


def test_password_reset_by_email(client, applicant, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": applicant.email})
    assert response.status_code == 302
    link = re.search(r"(/accounts/password/reset/key/[^\s]+/)", mailoutbox[0].body).group(1)
    response = client.get(link)
    assert response.status_code == 302  # allauth moves the key into the session
    form_page = client.get(response["Location"])
    assert form_page.status_code == 200
    assert_every_control_has_a_visible_label(form_page.content.decode())
    new_password = "another-long-passphrase"
    response = client.post(
        response["Location"], {"password1": new_password, "password2": new_password}
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.check_password(new_password)


def test_password_change(client, applicant):
    _login(client, applicant.email)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "brand-new-passphrase", "password2": "nope"},
    )
    assert response.status_code == 200
    assert 'id="id_password2_error"' in response.content.decode()
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "brand-new-passphrase",
            "password2": "brand-new-passphrase",
        },
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.check_password("brand-new-passphrase")


def test_add_email_address_sends_a_verification(client, applicant, mailoutbox):
    _login(client, applicant.email)
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "second@example.org"}
    )
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=applicant, email="second@example.org").exists()
    assert mailoutbox[-1].to == ["second@example.org"]
    html = client.get(reverse("account_email")).content.decode()
    assert "second@example.org" in html and "Unverified" in html
    assert_every_control_has_a_visible_label(html)


# --- MFA ---------------------------------------------------------------------------------


def test_staff_without_totp_is_sent_to_enrol(client):
    manager = make_staff(Role.CALL_MANAGER, with_totp=False)
    client.force_login(manager)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    # The enrolment pages themselves stay reachable.
    assert client.get(reverse("mfa_index")).status_code == 200


@pytest.mark.parametrize("role", ["applicant", "reviewer"])
def test_applicants_and_reviewers_are_not_forced_to_enrol(client, request, role):
    user = request.getfixturevalue(role)
    assert not Authenticator.objects.filter(user=user).exists()
    client.force_login(user)
    assert client.get("/dashboard/").status_code == 200


def test_activate_totp_then_login_asks_for_a_code(client, applicant):
    _login(client, applicant.email)
    reauth = client.get(reverse("mfa_activate_totp"), follow=True)
    assert reauth.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert_every_control_has_a_visible_label(reauth.content.decode())
    assert_in_layout(reauth.content.decode())
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    html = page.content.decode()
    assert 'class="qr-code"' in html
    assert_every_control_has_a_visible_label(html)
    secret = client.session["mfa.totp.secret"]
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert 'id="id_code_error"' in wrong.content.decode()
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=applicant, type=Authenticator.Type.TOTP).exists()
    for route in ("mfa_view_recovery_codes", "mfa_generate_recovery_codes", "mfa_index"):
        page = client.get(reverse(route))
        assert page.status_code == 200, route
        assert_in_layout(page.content.decode())
    codes = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert_every_control_has_a_visible_label(codes)

    client.post(reverse("account_logout"))
    response = _login(client, applicant.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    mfa_page = client.get(reverse("mfa_authenticate"))
    assert_every_control_has_a_visible_label(mfa_page.content.decode())
    assert_in_layout(mfa_page.content.decode())
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session


def test_staff_login_with_totp_code(client):
    finance = make_staff(Role.FINANCE)
    response = _login(client, finance.email)
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == finance.pk


def test_recovery_code_works_at_login(client, applicant):
    _login_and_reauthenticate(client, applicant.email)
    client.get(reverse("mfa_activate_totp"))
    client.post(reverse("mfa_activate_totp"), {"code": _code(client.session["mfa.totp.secret"])})
    recovery = Authenticator.objects.get(user=applicant, type=Authenticator.Type.RECOVERY_CODES)
    first_code = recovery.wrap().get_unused_codes()[0]
    client.post(reverse("account_logout"))
    _login(client, applicant.email)
    response = client.post(reverse("mfa_authenticate"), {"code": first_code})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == applicant.pk


def test_deactivate_totp(client):
    user = UserFactory()
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, TEST_TOTP_SECRET)
    _login(client, user.email)
    client.post(reverse("mfa_authenticate"), {"code": _code()})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_deactivate_totp"))
    assert page.status_code == 200
    assert_in_layout(page.content.decode())
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
