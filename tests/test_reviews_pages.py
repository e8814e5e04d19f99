"""The reviews pages: bad input on every form (errors by the field, values kept, nothing
saved), blind visibility in what is rendered, htmx regions and constant query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allocations.applications.models import ApplicationState
from allocations.reviews import selectors
from allocations.reviews.models import (
    AssignmentState,
    ConflictDeclaration,
    Review,
    ReviewAssignment,
    ReviewerProfile,
    TechnicalAssessment,
)
from tests.factories import MembershipFactory, UserFactory
from tests.factories_reviews import (
    application_in,
    assessment_for,
    assignment_for,
    call_with_rubric,
    cleared_assignment,
    ensure_profile,
    pool_member,
    reply_window,
    submitted_review,
)

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


# --- Technical assessment ---------------------------------------------------------------


def test_assessment_form_bad_input_keeps_values_and_saves_nothing(client_as):
    client, _user = client_as("assessor")
    application = application_in(ApplicationState.TECHNICAL_REVIEW, hours=1234)
    url = reverse("reviews:assessment", args=[application.pk])
    page = _html(client.get(url))
    assert "1,234 GPU-hours in total" in page or "1 234 GPU-hours in total" in page
    response = client.post(url, {"recommended_gpu_hours": "0", "comments": "Typed comment"})
    html = _html(response)
    assert response.status_code == 200
    assert "Typed comment" in html
    assert 'aria-invalid="true"' in html
    assert "Ensure this value is greater than or equal to 1" in html
    assert "This field is required" in html
    assert not TechnicalAssessment.objects.exists()
    application.refresh_from_db()
    assert application.state == ApplicationState.TECHNICAL_REVIEW

    response = client.post(
        url, {"feasibility": "partial", "recommended_gpu_hours": "900", "comments": "ok"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.PEER_REVIEW


def test_assessment_form_in_the_panel_is_read_only(client_as, assessor):
    client, _user = client_as("assessor")
    application = application_in(ApplicationState.PANEL)
    assessment_for(application, assessor, comments="Original")
    url = reverse("reviews:assessment", args=[application.pk])
    assert f'<form method="post" action="{url}"' not in _html(client.get(url))
    response = client.post(
        url, {"feasibility": "feasible", "recommended_gpu_hours": "5", "comments": "Changed"}
    )
    assert "can no longer be changed" in _html(response)
    assert TechnicalAssessment.objects.get().comments == "Original"


def test_assessment_queue_filters_by_call_with_htmx_and_constant_queries(client_as):
    client, _user = client_as("assessor")
    call = call_with_rubric(title="Speech call")
    mine = application_in(ApplicationState.TECHNICAL_REVIEW, call=call)
    other = application_in(ApplicationState.TECHNICAL_REVIEW)
    application_in(ApplicationState.PEER_REVIEW, call=call)
    url = reverse("reviews:assessment_queue")
    response = client.get(url, {"call": call.pk}, HTTP_HX_REQUEST="true")
    html = _html(response)
    assert mine.reference in html and other.reference not in html
    assert "<h1>" not in html and 'id="results"' in html

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(captured)

    few = queries()
    for _ in range(5):
        application_in(ApplicationState.TECHNICAL_REVIEW)
    assert queries() == few


# --- Pool -----------------------------------------------------------------------------------


def test_pool_add_bad_input(client_as):
    client, _user = client_as("call_manager")
    url = reverse("reviews:pool")
    response = client.post(
        url,
        {"email": "ghost@example.org", "expertise": "speech, nlp", "max_active_assignments": "3"},
    )
    html = _html(response)
    assert "Nobody with the e-mail address ghost@example.org has an account" in html
    assert "speech, nlp" in html and 'value="ghost@example.org"' in html
    assert not ReviewerProfile.objects.exists()
    response = client.post(url, {"email": "not an address", "max_active_assignments": "0"})
    assert _html(response).count('aria-invalid="true"') == 2

    person = UserFactory()
    response = client.post(
        url,
        {
            "email": person.email,
            "expertise": "Speech",
            "max_active_assignments": "3",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert ReviewerProfile.objects.get(user=person).expertise == ["speech"]
    assert person.email in _html(client.get(url))


def test_pool_edit_and_own_expertise_forms(client_as, reviewer):
    profile = ensure_profile(reviewer, expertise=["old"])
    client, _user = client_as("call_manager")
    url = reverse("reviews:pool_edit", args=[profile.pk])
    assert "old" in _html(client.get(url))
    response = client.post(url, {"expertise": "new words", "max_active_assignments": "99"})
    assert 'aria-invalid="true"' in _html(response) and "new words" in _html(response)
    profile.refresh_from_db()
    assert profile.expertise == ["old"]
    client.post(url, {"expertise": "climate", "max_active_assignments": "4"})
    profile.refresh_from_db()
    assert profile.expertise == ["climate"] and profile.is_active is False

    client.force_login(reviewer)
    url = reverse("reviews:my_expertise")
    assert client.post(url, {"expertise": "Speech, HPC"}).status_code == 302
    profile.refresh_from_db()
    assert profile.expertise == ["speech", "hpc"]
    assert "speech, hpc" in _html(client.get(url))


# --- Managing reviews ---------------------------------------------------------------------


def test_assign_form_shows_conflict_refusal_next_to_the_form(client_as):
    client, _user = client_as("call_manager")
    application = application_in(ApplicationState.PEER_REVIEW)
    conflicted = pool_member(full_name="Dana Conflicted")
    MembershipFactory(organisation=application.project.organisation, user=conflicted)
    url = reverse("reviews:assign", args=[application.pk])
    due = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    page = _html(client.get(reverse("reviews:manage", args=[application.pk])))
    assert "conflict of interest detected" in page
    response = client.post(url, {"reviewer": conflicted.pk, "due_at": due})
    html = _html(response)
    assert response.status_code == 200
    assert "Dana Conflicted is a member of the applicant organisation" in html
    assert f'value="{due}"' in html
    assert not ReviewAssignment.objects.exists()

    response = client.post(url, {"reviewer": "", "due_at": "yesterday"})
    assert _html(response).count('aria-invalid="true"') == 2
    fine = pool_member()
    response = client.post(url, {"reviewer": fine.pk, "due_at": due})
    assert response.status_code == 302
    assert ReviewAssignment.objects.get().reviewer == fine


def test_manage_page_shows_names_states_and_overdue(client_as):
    client, _user = client_as("call_manager")
    application = application_in(ApplicationState.PEER_REVIEW)
    late = pool_member(full_name="Late Reviewer")
    assignment_for(application, late, due_in_days=-1)
    done = pool_member(full_name="Done Reviewer")
    submitted_review(cleared_assignment(application, done), comment_panel="Only for the panel")
    html = _html(client.get(reverse("reviews:manage", args=[application.pk])))
    assert "Late Reviewer" in html and "Done Reviewer" in html
    assert "Overdue" in html and "Only for the panel" in html
    assert "Review submitted" in html


def test_withdraw_without_reason_shows_the_error_by_the_row(client_as):
    client, _user = client_as("call_manager")
    application = application_in(ApplicationState.PEER_REVIEW)
    assignment = assignment_for(application, pool_member(), due_in_days=-1)
    url = reverse("reviews:withdraw", args=[assignment.pk])
    response = client.post(url, {f"w{assignment.pk}-reason": ""})
    assert response.status_code == 200 and 'aria-invalid="true"' in _html(response)
    response = client.post(url, {f"w{assignment.pk}-reason": "", "next": "overview"})
    assert "Overdue reviews" in _html(response) and 'aria-invalid="true"' in _html(response)
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.INVITED
    response = client.post(url, {f"w{assignment.pk}-reason": "Late", "next": "overview"})
    assert response.status_code == 302 and response["Location"] == reverse("reviews:staff_overview")
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.WITHDRAWN


def test_close_review_phase_without_reviews_shows_why(client_as):
    client, _user = client_as("call_manager")
    application = application_in(ApplicationState.PEER_REVIEW)
    url = reverse("reviews:close_review_phase", args=[application.pk])
    response = client.post(url, {"reason": "Panel on Monday"})
    html = _html(response)
    assert "No review has been submitted yet" in html and "Panel on Monday" in html
    application.refresh_from_db()
    assert application.state == ApplicationState.PEER_REVIEW


def test_staff_overview_lists_overdue_with_constant_queries(client_as):
    client, _user = client_as("call_manager")
    url = reverse("reviews:staff_overview")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        return len(captured), _html(response)

    application = application_in(ApplicationState.PEER_REVIEW)
    assignment_for(application, pool_member(full_name="Slow Sam"), due_in_days=-2)
    few, html = queries()
    assert "Slow Sam" in html and application.reference in html
    for _ in range(4):
        other = application_in(ApplicationState.PEER_REVIEW)
        assignment_for(other, pool_member(), due_in_days=-1)
    assert queries()[0] == few


# --- Reviewer workspace ---------------------------------------------------------------------


def test_reviewer_sees_nothing_of_the_application_before_declaring(client, reviewer):
    application = application_in(ApplicationState.PEER_REVIEW, justification="SECRET JUSTIFICATION")
    assignment = assignment_for(application, reviewer)
    client.force_login(reviewer)
    url = reverse("reviews:assignment", args=[assignment.pk])
    html = _html(client.get(url))
    assert "SECRET JUSTIFICATION" not in html and application.project.title not in html
    assert "Accept the invitation" in html

    client.post(reverse("reviews:accept", args=[assignment.pk]))
    html = _html(client.get(url))
    assert "SECRET JUSTIFICATION" not in html
    assert application.project.organisation.legal_name in html  # who applies, to judge
    response = client.post(
        reverse("reviews:declare", args=[assignment.pk]), {"has_conflict": "yes"}
    )
    assert "Describe the conflict of interest." in _html(response)
    assert not ConflictDeclaration.objects.exists()

    client.post(reverse("reviews:declare", args=[assignment.pk]), {"has_conflict": "no"})
    html = _html(client.get(url))
    assert "SECRET JUSTIFICATION" in html
    assert application.project.pi.email not in html


def test_decline_without_reason_keeps_the_page(client, reviewer):
    assignment = assignment_for(application_in(ApplicationState.PEER_REVIEW), reviewer)
    client.force_login(reviewer)
    response = client.post(reverse("reviews:decline", args=[assignment.pk]), {"reason": ""})
    assert response.status_code == 200 and 'aria-invalid="true"' in _html(response)
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.INVITED


def test_detected_conflict_through_the_page(client, reviewer):
    application = application_in(ApplicationState.PEER_REVIEW, justification="SECRET")
    assignment = assignment_for(application, reviewer, state=AssignmentState.ACCEPTED)
    MembershipFactory(organisation=application.project.organisation, user=reviewer)
    client.force_login(reviewer)
    response = client.post(
        reverse("reviews:declare", args=[assignment.pk]), {"has_conflict": "no"}, follow=True
    )
    assert "you cannot review this application" in _html(response)
    assert "SECRET" not in _html(client.get(reverse("reviews:assignment", args=[assignment.pk])))


def _review_data(application, scores, **extra):
    criteria = list(application.call.criteria.all())
    data = {f"score_{c.pk}": s for c, s in zip(criteria, scores, strict=True) if s is not None}
    return {"comment_panel": "", "recommended_gpu_hours": "", **data, **extra}


def test_review_draft_with_htmx_then_bad_submit_then_read_only(client, reviewer):
    call = call_with_rubric(reviewers_per_application=3)
    application = application_in(ApplicationState.PEER_REVIEW, call=call)
    assignment = cleared_assignment(application, reviewer)
    client.force_login(reviewer)
    url = reverse("reviews:review_save", args=[assignment.pk])

    response = client.post(
        url,
        _review_data(application, [4, None], comment_applicant="Half done", action="draft"),
        HTTP_HX_REQUEST="true",
    )
    html = _html(response)
    assert "Draft saved." in html and "<h1>" not in html and 'id="review-form"' in html
    review = Review.objects.get()
    assert review.submitted_at is None and review.comment_applicant == "Half done"

    response = client.post(
        url, _review_data(application, [4, None], comment_applicant="", action="submit")
    )
    html = _html(response)
    assert "Score this criterion before submitting." in html
    assert "Write a comment for the applicant before submitting." in html
    first = application.call.criteria.order_by("position").first()
    assert f'value="4" id="id_score_{first.pk}_3" checked' in html
    review.refresh_from_db()
    assert review.submitted_at is None and review.comment_applicant == "Half done"

    response = client.post(
        url, _review_data(application, [4, 5], comment_applicant="Good", action="submit")
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.submitted_at is not None and str(review.weighted_score) == "4.500"
    html = _html(client.get(reverse("reviews:assignment", args=[assignment.pk])))
    assert "A submitted review cannot be changed" in html and url not in html
    response = client.post(
        url, _review_data(application, [1, 1], comment_applicant="Changed", action="submit")
    )
    assert "can no longer be changed" in _html(response)
    review.refresh_from_db()
    assert review.comment_applicant == "Good"


def test_htmx_submit_redirects_the_whole_page(client, reviewer):
    call = call_with_rubric(reviewers_per_application=3)
    application = application_in(ApplicationState.PEER_REVIEW, call=call)
    assignment = cleared_assignment(application, reviewer)
    client.force_login(reviewer)
    response = client.post(
        reverse("reviews:review_save", args=[assignment.pk]),
        _review_data(application, [3, 3], comment_applicant="Fine", action="submit"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("reviews:assignment", args=[assignment.pk])


def test_reviewer_never_sees_another_reviewers_review(client, reviewer):
    call = call_with_rubric(reviewers_per_application=3)
    application = application_in(ApplicationState.PEER_REVIEW, call=call)
    other = pool_member(full_name="Other Expert")
    submitted_review(
        cleared_assignment(application, other),
        comment_applicant="OTHER APPLICANT COMMENT",
        comment_panel="OTHER PANEL COMMENT",
    )
    assignment = cleared_assignment(application, reviewer)
    client.force_login(reviewer)
    html = _html(client.get(reverse("reviews:assignment", args=[assignment.pk])))
    assert application.justification in html
    for secret in ("Other Expert", "OTHER APPLICANT COMMENT", "OTHER PANEL COMMENT"):
        assert secret not in html


def test_my_reviews_lists_state_due_and_overdue_with_constant_queries(client, reviewer):
    ensure_profile(reviewer, max_active_assignments=4)
    assignment_for(application_in(ApplicationState.PEER_REVIEW), reviewer, due_in_days=-1)
    client.force_login(reviewer)
    url = reverse("reviews:my_reviews")
    with CaptureQueriesContext(connection) as first:
        html = _html(client.get(url))
    assert "Overdue" in html and "1 open reviews (at most 4" in html
    for _ in range(4):
        assignment_for(application_in(ApplicationState.PEER_REVIEW), reviewer)
    with CaptureQueriesContext(connection) as second:
        client.get(url)
    assert len(second) == len(first)


# --- Applicants: right to reply, blind ----------------------------------------------------------


@pytest.fixture
def replying(applicant, assessor):
    application = application_in(ApplicationState.REPLY, pi=applicant)
    assessment_for(application, assessor, comments="ASSESSOR COMMENT")
    for name in ("Alice Hidden", "Bob Hidden"):
        submitted_review(
            cleared_assignment(application, pool_member(full_name=name, email=f"{name[:3]}@x.kz")),
            comment_applicant=f"APPLICANT NOTE FROM {name.upper()[:3]}",
            comment_panel="PANEL ONLY",
            recommended_gpu_hours=4321,
        )
    reply_window(application)
    return application


def test_applicant_reviews_are_anonymised(replying):
    reviews = selectors.applicant_reviews(application=replying)
    assert [r["label"] for r in reviews] == ["Reviewer 1", "Reviewer 2"]
    assert [r["comment_applicant"] for r in reviews] == [
        "APPLICANT NOTE FROM ALI",
        "APPLICANT NOTE FROM BOB",
    ]
    assert set(reviews[0]) == {"number", "label", "scores", "weighted_score", "comment_applicant"}
    assert reviews[0]["scores"][0] == {"criterion": "Criterion 1", "score": 5, "scale_max": 5}
    flat = repr(reviews)
    for secret in ("Hidden", "Ali@x.kz", "PANEL ONLY", "4321"):
        assert secret not in flat
    panel = selectors.panel_comments(application=replying)
    assert [p["comment_panel"] for p in panel] == ["PANEL ONLY", "PANEL ONLY"]
    assert panel[0]["reviewer"].full_name == "Alice Hidden"


def test_reply_page_is_blind_and_the_form_checks_input(client, applicant, replying):
    client.force_login(applicant)
    url = reverse("reviews:reply", args=[replying.pk])
    html = _html(client.get(url))
    assert "Reviewer 1" in html and "APPLICANT NOTE FROM BOB" in html
    assert "ASSESSOR COMMENT" in html
    for secret in ("Alice Hidden", "Bob Hidden", "PANEL ONLY", "4,321", "4321"):
        assert secret not in html
    submit = reverse("reviews:reply_submit", args=[replying.pk])
    response = client.post(submit, {"text": "   "})
    assert response.status_code == 200 and 'aria-invalid="true"' in _html(response)
    replying.refresh_from_db()
    assert replying.state == ApplicationState.REPLY
    assert client.post(submit, {"text": "Our answer"}).status_code == 302
    html = _html(client.get(url))
    assert "Our answer" in html and "Your reply was sent" in html


def test_reviews_hidden_from_the_team_during_peer_review(client, applicant):
    application = application_in(ApplicationState.PEER_REVIEW, pi=applicant)
    submitted_review(cleared_assignment(application, pool_member()), comment_applicant="EARLY")
    client.force_login(applicant)
    html = _html(client.get(reverse("reviews:reply", args=[application.pk])))
    assert "EARLY" not in html and "not available yet" in html
