"""Review in Chromium: pool → assessment → assignment → declaration → review (htmx draft,
then submit) → the applicant's reply → the panel's decision → the PI's letter and
allocation. Every page is checked with axe and the CSP."""

import re

import pytest
from django.urls import reverse

from allocations.accounts.models import Role
from allocations.applications.models import ApplicationState
from allocations.awards.models import Allocation, AllocationState, Decision
from allocations.reviews.models import AssignmentState, Review, ReviewAssignment
from tests.browser.conftest import assert_accessible, log_in
from tests.factories import ProjectFactory, UserFactory, make_staff
from tests.factories_reviews import application_in, call_with_rubric

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _switch(page, live_server, user):
    page.context.clear_cookies()
    log_in(page, live_server, user)


def test_review_journey_from_pool_to_reply(page, live_server):
    manager = make_staff(Role.CALL_MANAGER)
    assessor = make_staff(Role.TECHNICAL_ASSESSOR)
    expert = UserFactory(email="expert@example.org", full_name="Erlan Expert")
    pi = UserFactory()
    call = call_with_rubric(weights=("2.00", "1.00"), reviewers_per_application=1)
    application = application_in(
        ApplicationState.TECHNICAL_REVIEW,
        pi=pi,
        call=call,
        project=ProjectFactory(
            pi=pi, abstract="Speech recognition for Kazakh.", organisation__foreign=True
        ),
        justification="We fine-tune speech models.",
    )

    # The call manager puts the expert in the pool.
    log_in(page, live_server, manager)
    page.goto(reverse("reviews:pool"))
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("nobody@example.org")
    page.get_by_role("button", name="Add to the pool").click()
    assert "Nobody with the e-mail address" in page.locator("#id_email_error").inner_text()
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("expert@example.org")
    page.get_by_label("Expertise keywords").fill("speech, climate")
    page.get_by_role("button", name="Add to the pool").click()
    assert "joined the reviewer pool" in page.locator(".messages").inner_text()

    # The assessor records the technical assessment.
    _switch(page, live_server, assessor)
    page.goto(reverse("reviews:assessment_queue"))
    assert_accessible(page)
    page.get_by_role("link", name=application.reference).click()
    assert_accessible(page)
    page.get_by_label("Feasible", exact=True).check()
    page.get_by_label("Recommended GPU-hours").fill("800")
    page.get_by_label("Comments").fill("Fits one node.")
    page.get_by_role("button", name="Record the assessment").click()
    assert "peer review" in page.locator(".messages").inner_text()

    # The manager assigns the suggested expert.
    _switch(page, live_server, manager)
    page.goto(reverse("reviews:manage", args=[application.pk]))
    assert_accessible(page)
    assert "speech" in page.locator("table", has_text="Matching keywords").inner_text()
    page.locator("#id_reviewer").select_option(str(expert.pk))
    page.get_by_role("button", name="Invite to review").click()
    assert "was invited to review" in page.locator(".messages").inner_text()
    assert_accessible(page)
    assignment = ReviewAssignment.objects.get()

    # The expert accepts, declares no conflict, drafts with htmx, then submits.
    _switch(page, live_server, expert)
    page.goto(reverse("reviews:my_reviews"))
    assert_accessible(page)
    page.get_by_role("link", name=application.reference).click()
    assert "We fine-tune speech models." not in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Accept the invitation").click()
    assert_accessible(page)
    page.get_by_role("button", name="Record my declaration").click()
    assert page.locator("[aria-invalid=true]").count() >= 1
    page.locator("#id_has_conflict_0").check()
    page.get_by_role("button", name="Record my declaration").click()
    assert "We fine-tune speech models." in page.content()
    assert_accessible(page)

    criteria = list(call.criteria.order_by("position"))
    page.locator(f"#id_score_{criteria[0].pk}_4").check()
    page.get_by_label("Comment for the applicant").fill("Convincing plan.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_selector("#review-form .save-status:has-text('Draft saved.')")
    assert Review.objects.get().comment_applicant == "Convincing plan."
    page.get_by_role("button", name="Submit the review").click()
    page.wait_for_selector("#review-form .save-status:has-text('Not saved')")
    assert "Score this criterion before submitting." in page.locator("#review-form").inner_text()
    assert page.get_by_label("Comment for the applicant").input_value() == "Convincing plan."
    assert_accessible(page)
    page.locator(f"#id_score_{criteria[1].pk}_1").check()
    page.get_by_role("button", name="Submit the review").click()
    page.wait_for_selector("text=A submitted review cannot be changed")
    assert_accessible(page)
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.SUBMITTED
    application.refresh_from_db()
    assert application.state == ApplicationState.REPLY

    # The applicant reads the anonymised review and replies.
    _switch(page, live_server, pi)
    page.goto(reverse("reviews:reply", args=[application.pk]))
    assert_accessible(page)
    text = page.locator("main").inner_text()
    assert "Reviewer 1" in text and "Convincing plan." in text
    assert "Erlan Expert" not in text and "expert@example.org" not in text
    page.get_by_label("Your reply to the reviews").fill("Thank you.")
    page.get_by_role("button", name="Send the reply").click()
    assert "Your reply was sent" in page.locator(".messages").inner_text()
    application.refresh_from_db()
    assert application.state == ApplicationState.PANEL

    _switch(page, live_server, manager)
    page.goto(reverse("reviews:staff_overview"))
    assert_accessible(page)
    page.wait_for_load_state("networkidle")

    # The panel: the manager decides from the ranked list; the letter and allocation follow.
    page.goto(reverse("awards:panel", args=[call.pk]))
    assert_accessible(page)
    page.locator(f"#row-{application.pk}").get_by_role("link", name=re.compile("^Decide")).click()
    assert_accessible(page)
    page.get_by_label("Approve", exact=True).check()
    page.get_by_label("Reason", exact=True).fill("Convincing review; feasible on one node.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(re.compile(r"/panel/$"))
    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    assert Decision.objects.get(application=application).letter
    allocation = Allocation.objects.get(application=application)
    assert allocation.state == AllocationState.ACTIVE

    # The PI sees the outcome: letter and allocation, and the reviewer's name nowhere.
    _switch(page, live_server, pi)
    page.goto(reverse("applications:application_detail", args=[application.pk]))
    assert_accessible(page)
    assert page.get_by_role("link", name="Decision letter (PDF)").count() == 1
    page.get_by_role("link", name="Your allocations").click()
    assert allocation.slurm_account in page.locator("main").inner_text()
    assert "Erlan Expert" not in page.content()
    assert_accessible(page)
