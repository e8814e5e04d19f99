"""Panel → decision → allocation in Chromium: the manager ranks (htmx), fixes a mistake on
the decision form, decides; the PI finds the allocation and the letter. Pages checked with axe."""

import re

import pytest
from django.urls import reverse

from allocations.applications.models import ApplicationState
from allocations.awards.models import Allocation, AllocationState, Decision, PanelEntry
from tests.browser.conftest import assert_accessible, log_in
from tests.factories_awards import (
    TechnicalAssessmentFactory,
    add_reviews,
    application_at,
    call_with_capacity,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_ranks_decides_and_pi_sees_the_allocation(page, live_server, call_manager):
    call, _rows = call_with_capacity(capacities=(10_000,), title="AI Startups 2027")
    first = application_at(call, hours=6000)
    add_reviews(first, [4.5, 4.0], comment_panel="Strong team, fund in full.")
    TechnicalAssessmentFactory(application=first, recommended_gpu_hours=6000)
    second = application_at(call, hours=6000)
    add_reviews(second, [3.5])
    waiting = application_at(call, state=ApplicationState.SUBMITTED)

    log_in(page, live_server, call_manager)
    page.goto(reverse("awards:call_list"))
    assert_accessible(page)
    page.locator("main").get_by_role("link", name=re.compile("^Screening")).click()
    assert waiting.reference in page.locator("table").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(f"Screen {waiting.reference}")).click()
    assert_accessible(page)

    page.goto(reverse("awards:panel", args=[call.pk]))
    assert_accessible(page)
    second_row = page.locator(f"#row-{second.pk}")
    assert "Beyond capacity" in second_row.inner_text()
    # Propose less for the second application: the table is swapped in place by htmx.
    page.fill(f"#proposed-{second.pk}", "4000")
    second_row.get_by_role("button", name=re.compile("^Save")).click()
    page.wait_for_selector(f"#panel-tables .save-status:has-text('{second.reference} updated.')")
    assert page.url.endswith(reverse("awards:panel", args=[call.pk]))
    assert "Beyond capacity" not in page.locator(f"#row-{second.pk}").inner_text()
    assert PanelEntry.objects.get(application=second).proposed_gpu_hours == 4000
    # A mistake in the row form keeps the typed value and marks the field.
    page.fill(f"#position-{first.pk}", "0")
    page.locator(f"#row-{first.pk}").get_by_role("button", name=re.compile("^Save")).click()
    page.wait_for_selector(f"#position-{first.pk}-error")
    assert page.locator(f"#position-{first.pk}").get_attribute("aria-invalid") == "true"
    assert page.input_value(f"#position-{first.pk}") == "0"
    assert_accessible(page)

    page.locator(f"#row-{first.pk}").get_by_role("link", name=re.compile("^Decide")).click()
    assert_accessible(page)
    page.get_by_label("Approve", exact=True).check()
    page.get_by_role("button", name="Record the decision").click()
    # The reason was forgotten: the form says so and keeps the amounts.
    assert page.locator("#id_reason").get_attribute("aria-invalid") == "true"
    amount = page.locator(f"#id_gpu_hours_{first.requests.get().resource_id}")
    assert amount.input_value() == "6000"
    assert_accessible(page)
    assert not Decision.objects.exists()

    page.get_by_label("Reason", exact=True).fill("Excellent reviews; feasible on H200.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(re.compile(r"/panel/$"))
    assert "Decision on" in page.locator(".messages").inner_text()
    assert_accessible(page)
    decision = Decision.objects.get(application=first)
    assert decision.letter  # generated after commit (eager Celery)
    allocation = Allocation.objects.get(application=first)
    assert allocation.state == AllocationState.ACTIVE  # dry-run scheduler provisioned it

    page.goto(reverse("awards:decision_list", args=[call.pk]))
    assert first.reference in page.locator("table").inner_text()
    assert_accessible(page)
    page.goto(reverse("awards:allocation_detail", args=[allocation.pk]))
    assert "GrpTRESMins=gres/gpu=360000" in page.locator("main").inner_text()
    assert_accessible(page)

    page.context.clear_cookies()
    log_in(page, live_server, first.project.pi)
    page.goto(reverse("awards:allocation_list"))
    assert_accessible(page)
    page.get_by_role("link", name=allocation.slurm_account).click()
    assert f"sbatch --account={allocation.slurm_account}" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Decline this allocation").click()
    assert_accessible(page)
    with page.expect_download() as download:
        page.goto(reverse("awards:allocation_detail", args=[allocation.pk]))
        page.get_by_role("link", name="Decision letter (PDF)").click()
    assert download.value.suggested_filename == f"{first.reference}-decision.pdf"
    assert not page.csp_errors
