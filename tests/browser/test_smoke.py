"""Public pages in Chromium: rendered, accessible, translated, no CSP violation."""

import pytest

from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_is_accessible_in_every_language(page):
    page.goto("/")
    assert page.locator("h1").count() == 1
    assert_accessible(page)
    for code in ("kk", "ru"):
        with page.expect_navigation():
            page.select_option("#language-select", code)
        assert page.locator("html").get_attribute("lang") == code
        assert_accessible(page)


def test_login_and_signup_pages_are_accessible(page):
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        page.goto(path)
        assert_accessible(page)


def test_accessibility_check_catches_a_violation(page):
    """The axe helper itself must be able to fail: an unlabeled input and an empty button."""
    page.goto("/")
    page.evaluate(
        "() => { const f = document.createElement('div');"
        " f.innerHTML = '<input type=text><button></button>'; document.body.append(f); }"
    )
    with pytest.raises(AssertionError, match="button-name|label"):
        assert_accessible(page)
