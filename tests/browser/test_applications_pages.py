"""Applications in Chromium: autosave as one types, all or nothing; pages accessible."""

import re

import pytest
from django.urls import reverse

from tests.browser.conftest import assert_accessible, log_in
from tests.factories import MembershipFactory
from tests.factories_applications import call_with_resources, draft_for, make_attachment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_autosave_saves_everything_or_nothing(page, live_server, applicant):
    call, capacities = call_with_resources(capacities=(100_000, 500))
    application = draft_for(applicant, call=call, justification="")
    log_in(page, live_server, applicant)
    page.goto(reverse("applications:application_edit", args=[application.pk]))
    assert_accessible(page)

    page.fill("#id_justification", "Typed in the browser")
    page.wait_for_selector("#save-status:has-text('Saved at')")
    application.refresh_from_db()
    assert application.justification == "Typed in the browser"

    small = f"#id_gpu_hours_{capacities[1].resource_id}"
    page.fill(small, "501")
    page.fill("#id_justification", "Typed in the browser, then more")
    page.wait_for_selector("#save-status:has-text('Not saved')")
    errors = page.locator(f"#id_gpu_hours_{capacities[1].resource_id}_errors")
    assert "at most 500" in errors.inner_text()
    assert page.locator(small).get_attribute("aria-invalid") == "true"
    # What was typed stays in the fields; nothing reached the database.
    assert page.input_value("#id_justification") == "Typed in the browser, then more"
    assert page.input_value(small) == "501"
    application.refresh_from_db()
    assert application.justification == "Typed in the browser"
    assert_accessible(page)

    page.fill(small, "400")
    page.wait_for_selector("#save-status:has-text('Saved at')")
    assert errors.inner_text().strip() == ""
    assert page.locator(small).get_attribute("aria-invalid") is None
    application.refresh_from_db()
    assert application.justification == "Typed in the browser, then more"
    assert application.requests.get(resource_id=capacities[1].resource_id).gpu_hours == 400
    assert not page.csp_errors
    page.wait_for_load_state("networkidle")


def test_applicant_and_staff_pages_are_accessible(
    page,
    live_server,
    applicant,
    call_manager,
):
    MembershipFactory(user=applicant)
    application = draft_for(applicant)
    make_attachment(application)
    log_in(page, live_server, applicant)
    for url in (
        reverse("applications:project_list"),
        reverse("applications:project_create"),
        reverse("applications:project_detail", args=[application.project.pk]),
        reverse("applications:project_team", args=[application.project.pk]),
        reverse("applications:application_start", args=[application.call.slug]),
        reverse("applications:application_detail", args=[application.pk]),
        reverse("applications:application_submit", args=[application.pk]),
        reverse("applications:application_withdraw", args=[application.pk]),
    ):
        page.goto(url)
        assert page.locator("h1").count() == 1, url
        assert_accessible(page)

    page.goto(reverse("applications:application_submit", args=[application.pk]))
    page.click("button:has-text('Submit the application')")
    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    assert "Submitted" in page.inner_text(".badge")

    page.context.clear_cookies()
    log_in(page, live_server, call_manager)
    page.goto(reverse("applications:staff_list"))
    assert_accessible(page)
    page.fill("#id_q", application.reference)
    page.wait_for_url(re.compile(r"q=APP"))
    assert page.locator("#results tbody tr").count() == 1
    page.goto(reverse("applications:staff_detail", args=[application.pk]))
    assert_accessible(page)
    page.wait_for_load_state("networkidle")
