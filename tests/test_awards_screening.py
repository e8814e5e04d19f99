"""Screening: eligible goes to technical review, ineligible (with a reason) is rejected
with a decision and a letter; the queue, the form's bad input, the guards."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from allocations.applications.models import ApplicationState
from allocations.awards import services
from allocations.awards.models import Decision, DecisionOutcome, Screening
from allocations.core.models import AuditEvent, Notification
from tests.factories import UserFactory
from tests.factories_applications import add_to_team
from tests.factories_awards import (  # noqa: F401  (fixtures)
    application_at,
    call_with_capacity,
    fast_letters,
    fast_passwords,
)

pytestmark = pytest.mark.usefixtures("fast_letters", "fast_passwords")


@pytest.fixture
def submitted(db):
    call, _rows = call_with_capacity()
    application = application_at(call, state=ApplicationState.SUBMITTED)
    add_to_team(application.project, UserFactory())
    return application


def test_eligible_goes_to_technical_review_and_tells_the_team(call_manager, submitted):
    screening = services.screen_application(
        actor=call_manager,
        application_id=submitted.pk,
        eligible=True,
        reason="",
        now=timezone.now(),
    )
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.TECHNICAL_REVIEW
    assert (screening.outcome, screening.decided_by) == ("eligible", call_manager)
    assert not Decision.objects.exists()
    event = AuditEvent.objects.get(verb="application.screened")
    assert (event.actor, event.from_state, event.to_state) == (
        call_manager,
        "submitted",
        "technical_review",
    )
    assert Notification.objects.filter(kind="awards_screened").count() == 2


def test_ineligible_is_rejected_with_a_decision_and_letter(
    call_manager, submitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.screen_application(
            actor=call_manager,
            application_id=submitted.pk,
            eligible=False,
            reason="  Not a startup.  ",
            now=timezone.now(),
        )
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.REJECTED
    decision = Decision.objects.get(application=submitted)
    assert (decision.outcome, decision.reason) == (DecisionOutcome.REJECTED, "Not a startup.")
    assert decision.letter and decision.letter_sha256
    event = AuditEvent.objects.get(verb="application.screened")
    assert event.data == {
        "outcome": "ineligible",
        "reason": "Not a startup.",
        "decision_id": decision.pk,
    }
    assert Notification.objects.filter(kind="awards_decision").count() == 2


def test_ineligible_needs_a_reason(call_manager, submitted):
    with pytest.raises(ValidationError) as error:
        services.screen_application(
            actor=call_manager,
            application_id=submitted.pk,
            eligible=False,
            reason=" ",
            now=timezone.now(),
        )
    assert "reason" in error.value.message_dict
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED
    assert not Screening.objects.exists() and not Decision.objects.exists()


def test_screening_twice_is_refused(call_manager, submitted):
    services.screen_application(
        actor=call_manager,
        application_id=submitted.pk,
        eligible=True,
        reason="",
        now=timezone.now(),
    )
    with pytest.raises(ValidationError, match="not waiting for screening"):
        services.screen_application(
            actor=call_manager,
            application_id=submitted.pk,
            eligible=False,
            reason="Second thoughts.",
            now=timezone.now(),
        )
    assert Screening.objects.count() == 1


@pytest.mark.parametrize("role", ["applicant", "reviewer", "assessor", "finance", "import_desk"])
def test_only_deciders_screen(request, submitted, role):
    with pytest.raises(PermissionDenied):
        services.screen_application(
            actor=request.getfixturevalue(role),
            application_id=submitted.pk,
            eligible=True,
            reason="",
            now=timezone.now(),
        )
    assert not Screening.objects.exists()


def test_queue_lists_only_applications_waiting(client, call_manager, submitted):
    call = submitted.call
    later = application_at(call, state=ApplicationState.PEER_REVIEW)
    draft = application_at(call, state=ApplicationState.DRAFT)
    client.force_login(call_manager)
    html = client.get(reverse("awards:screening_queue", args=[call.pk])).content.decode()
    assert submitted.reference in html
    assert later.reference not in html and draft.reference not in html
    overview = client.get(reverse("awards:call_list")).content.decode()
    assert call.title in overview


def test_screen_form_records_and_returns_to_the_queue(client, call_manager, submitted):
    client.force_login(call_manager)
    response = client.post(
        reverse("awards:screen", args=[submitted.pk]), {"outcome": "eligible", "reason": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("awards:screening_queue", args=[submitted.call_id])
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.TECHNICAL_REVIEW


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"outcome": "ineligible", "reason": ""}, "reason", "Say why the application"),
        ({"outcome": "", "reason": "Typed reason."}, "outcome", "This field is required."),
        ({"outcome": "maybe", "reason": "Typed reason."}, "outcome", "Select a valid choice."),
    ],
)
def test_screen_form_bad_input(client, call_manager, submitted, data, field, message):
    client.force_login(call_manager)
    response = client.post(reverse("awards:screen", args=[submitted.pk]), data)
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field])
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    if data["reason"]:
        assert data["reason"] in html
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED
    assert not Screening.objects.exists()


def test_screen_page_for_an_already_screened_application(client, call_manager, submitted):
    services.screen_application(
        actor=call_manager,
        application_id=submitted.pk,
        eligible=True,
        reason="",
        now=timezone.now(),
    )
    client.force_login(call_manager)
    html = client.get(reverse("awards:screen", args=[submitted.pk])).content.decode()
    assert "not waiting for screening" in html
    response = client.post(
        reverse("awards:screen", args=[submitted.pk]), {"outcome": "ineligible", "reason": "x"}
    )
    assert "not waiting for screening" in response.content.decode()
    assert Screening.objects.count() == 1
