"""A call manager defines a resource and a call in Chromium, fixes a mistake, publishes it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from allocations.accounts.models import Role
from allocations.calls.models import Call
from tests.browser.conftest import assert_accessible, log_in
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_call_manager_defines_and_publishes_a_call(page, live_server):
    log_in(page, live_server, make_staff(Role.CALL_MANAGER))

    page.goto("/staff/resources/")
    assert_accessible(page)
    page.get_by_role("link", name="Add a resource").click()
    assert_accessible(page)
    page.get_by_label("Name").fill("H200 main")
    page.get_by_label("Slurm cluster").fill("kazgpu")
    page.get_by_label("Slurm partition").fill("main")
    page.get_by_label("Capacity (GPU-hours per period)").fill("40000")
    page.get_by_role("button", name="Save resource").click()
    assert "H200 main" in page.locator("table").inner_text()

    page.goto("/staff/calls/new/")
    assert_accessible(page)
    opens = timezone.localtime() - timedelta(days=1)
    page.get_by_label("Title").fill("Startups 2027")
    page.get_by_label("Short name").fill("startups-2027")
    page.get_by_label("Track").select_option("startup")
    page.get_by_label("Opens").fill(opens.strftime("%Y-%m-%dT%H:%M"))
    # A mistake: closes before it opens.
    page.get_by_label("Closes").fill((opens - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Startup", exact=True).check()
    page.locator("#id_capacities-0-resource").select_option(label="H200 main")
    page.locator("#id_capacities-0-capacity_gpu_hours").fill("10000")
    page.locator("#id_criteria-0-name").fill("Impact")
    page.locator("#id_criteria-0-weight").fill("2")
    page.get_by_role("button", name="Save call").click()

    assert page.locator("#id_call-closes_at_error").inner_text() == (
        "The call must close after it opens."
    )
    assert page.locator("#id_call-closes_at").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Title").input_value() == "Startups 2027"
    assert page.locator("#id_criteria-0-name").input_value() == "Impact"
    assert_accessible(page)
    assert not Call.objects.exists()

    page.get_by_label("Closes").fill((opens + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save call").click()
    assert "Call Startups 2027 saved." in page.locator(".messages").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Publish").click()
    assert "published" in page.locator(".messages").inner_text()

    page.get_by_role("link", name="View the public page").click()
    assert page.locator("h1").inner_text() == "Startups 2027"
    assert page.get_by_role("link", name="Apply").is_visible()
    assert_accessible(page)

    page.goto("/staff/calls/")
    page.get_by_label("State").select_option("draft")
    page.wait_for_url("**/staff/calls/?state=draft")
    assert "No call matches." in page.locator("#call-table").inner_text()
    assert_accessible(page)
