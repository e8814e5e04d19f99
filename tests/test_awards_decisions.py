"""Deciding on panel applications: each outcome, reasons, capacity override, one decision
only (also under concurrent clicks), and the decision form's bad input."""

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from allocations.applications.models import ApplicationState
from allocations.awards import services
from allocations.awards.models import Allocation, Decision, DecisionLine, DecisionOutcome
from allocations.core.models import AuditEvent
from allocations.scheduler.models import SchedulerOperation
from tests.factories_awards import (  # noqa: F401  (fixtures)
    application_at,
    call_with_capacity,
    fast_letters,
    fast_passwords,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")

START = date(2027, 3, 1)
END = date(2027, 9, 1)


@pytest.fixture
def call(db):
    call, _rows = call_with_capacity(capacities=(10_000,))
    return call


@pytest.fixture
def resource_id(call):
    return call.capacities.get().resource_id


def _approve(actor, application, hours, **kwargs):
    values = {
        "actor": actor,
        "application_id": application.pk,
        "outcome": DecisionOutcome.APPROVED,
        "reason": "Excellent science, feasible plan.",
        "amounts": {application.requests.get().resource_id: hours},
        "start_date": START,
        "end_date": END,
        "now": timezone.now(),
    }
    values.update(kwargs)
    return services.decide(**values)


def test_approve_within_capacity_creates_lines_and_allocation(call_manager, call, resource_id):
    application = application_at(call, hours=4000)
    decision = _approve(call_manager, application, 3000)

    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    assert decision.outcome == DecisionOutcome.APPROVED
    assert decision.decided_by == call_manager
    assert not decision.over_capacity
    assert list(decision.lines.values_list("resource_id", "gpu_hours")) == [(resource_id, 3000)]
    allocation = Allocation.objects.get(application=application)
    assert (allocation.gpu_hours, allocation.start_date, allocation.end_date) == (3000, START, END)
    event = AuditEvent.objects.get(verb="application.decided")
    assert (event.actor, event.from_state, event.to_state) == (call_manager, "panel", "approved")
    assert event.data["reason"] == "Excellent science, feasible plan."
    assert event.data["gpu_hours"] == {str(resource_id): 3000}
    assert event.data["accounts"] == [allocation.slurm_account]


@pytest.mark.parametrize("outcome", [DecisionOutcome.WAITLISTED, DecisionOutcome.REJECTED])
def test_waitlist_and_reject_need_only_a_reason(call_manager, call, outcome):
    application = application_at(call)
    services.decide(
        actor=call_manager,
        application_id=application.pk,
        outcome=outcome,
        reason="Ranked below the line.",
        now=timezone.now(),
    )
    application.refresh_from_db()
    assert application.state == outcome
    decision = Decision.objects.get(application=application)
    assert (decision.outcome, decision.reason) == (outcome, "Ranked below the line.")
    assert decision.start_date is None and not decision.lines.exists()
    assert not Allocation.objects.exists()


@pytest.mark.parametrize("outcome", list(DecisionOutcome))
def test_every_outcome_requires_a_reason(call_manager, call, outcome):
    application = application_at(call)
    with pytest.raises(ValidationError) as error:
        _approve(call_manager, application, 500, outcome=outcome, reason="   ")
    assert "reason" in error.value.message_dict
    application.refresh_from_db()
    assert application.state == ApplicationState.PANEL
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_date": None}, "start_date"),
        ({"end_date": None}, "end_date"),
        ({"end_date": START}, "end_date"),
        ({"end_date": START - timedelta(days=1)}, "end_date"),
    ],
)
def test_approval_needs_a_period_that_ends_after_it_starts(call_manager, call, kwargs, field):
    application = application_at(call)
    with pytest.raises(ValidationError) as error:
        _approve(call_manager, application, 500, **kwargs)
    assert field in error.value.message_dict
    assert not Decision.objects.exists()


def test_approval_needs_some_hours_on_requested_resources(call_manager, call):
    application = application_at(call)
    with pytest.raises(ValidationError):
        _approve(call_manager, application, 0)
    other_call, rows = call_with_capacity(capacities=(5000,))
    with pytest.raises(ValidationError):
        _approve(call_manager, application, 10, amounts={rows[0].resource_id: 10})
    assert not Decision.objects.exists()


def test_beyond_capacity_needs_an_override_with_a_reason(call_manager, call):
    first = application_at(call, hours=8000)
    _approve(call_manager, first, 8000)
    second = application_at(call, hours=5000)

    with pytest.raises(ValidationError) as error:
        _approve(call_manager, second, 5000)
    assert "override" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _approve(call_manager, second, 5000, override=True, override_reason=" ")
    assert "override_reason" in error.value.message_dict
    second.refresh_from_db()
    assert second.state == ApplicationState.PANEL
    assert not Decision.objects.filter(application=second).exists()

    decision = _approve(
        call_manager, second, 5000, override=True, override_reason="National priority project."
    )
    assert decision.over_capacity
    assert decision.override_reason == "National priority project."
    event = AuditEvent.objects.filter(verb="application.decided").latest("id")
    assert event.data["over_capacity"] is True
    assert event.data["override_reason"] == "National priority project."
    assert event.data["shortfall"] == {str(decision.lines.get().resource_id): 3000}


def test_an_unneeded_override_is_not_recorded(call_manager, call):
    decision = _approve(
        call_manager, application_at(call), 100, override=True, override_reason="Just in case."
    )
    assert not decision.over_capacity and decision.override_reason == ""


def test_a_second_decision_is_refused(call_manager, call):
    application = application_at(call)
    _approve(call_manager, application, 500)
    with pytest.raises(ValidationError, match="already been decided"):
        _approve(call_manager, application, 500)
    with pytest.raises(ValidationError, match="already been decided"):
        services.decide(
            actor=call_manager,
            application_id=application.pk,
            outcome=DecisionOutcome.REJECTED,
            reason="Changed my mind.",
            now=timezone.now(),
        )
    assert DecisionLine.objects.count() == 1
    assert Allocation.objects.count() == 1


def test_a_waitlisted_application_can_be_approved_later(call_manager, call):
    application = application_at(call)
    services.decide(
        actor=call_manager,
        application_id=application.pk,
        outcome=DecisionOutcome.WAITLISTED,
        reason="Good, but below the line.",
        now=timezone.now(),
    )
    with pytest.raises(ValidationError, match="already on the waitlist"):
        services.decide(
            actor=call_manager,
            application_id=application.pk,
            outcome=DecisionOutcome.WAITLISTED,
            reason="Again.",
            now=timezone.now(),
        )
    decision = _approve(call_manager, application, 700, reason="Capacity was added.")
    assert Decision.objects.count() == 1
    assert decision.outcome == DecisionOutcome.APPROVED
    assert Allocation.objects.get().gpu_hours == 700


@pytest.mark.parametrize(
    "state", [ApplicationState.SUBMITTED, ApplicationState.PEER_REVIEW, ApplicationState.REPLY]
)
def test_only_panel_applications_can_be_decided(call_manager, call, state):
    application = application_at(call, state=state)
    with pytest.raises(ValidationError, match="Only applications on the panel"):
        _approve(call_manager, application, 500)


@pytest.mark.parametrize("role", ["applicant", "reviewer", "assessor", "finance"])
def test_only_deciders_may_decide(request, call, role):
    actor = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        _approve(actor, application_at(call), 500)
    assert not Decision.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fast_letters")
def test_two_concurrent_approvals_make_one_decision(call_manager):
    call, _rows = call_with_capacity(capacities=(10_000,))
    application = application_at(call)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click():
        try:
            barrier.wait(timeout=10)
            _approve(call_manager, application, 500)
            outcomes.append("decided")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)  # the winner also renders the letter: slow on a busy machine
    assert sorted(outcomes) == ["decided", "refused"]
    assert Decision.objects.count() == 1
    assert Allocation.objects.count() == 1
    assert SchedulerOperation.objects.filter(account__name__startswith="p").count() == 1


# --- The decision form --------------------------------------------------------------


def _form_data(application, **overrides):
    data = {
        "outcome": "approved",
        "reason": "Strong proposal.",
        f"gpu_hours_{application.requests.get().resource_id}": "2000",
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "override_reason": "",
    }
    data.update(overrides)
    return data


def test_decide_page_prefills_the_proposal(client, call_manager, call):
    application = application_at(call, hours=3000)
    client.force_login(call_manager)
    response = client.get(reverse("awards:decide", args=[application.pk]))
    assert response.status_code == 200
    field = f"gpu_hours_{application.requests.get().resource_id}"
    assert response.context["form"][field].value() == 3000
    assert b"Record the decision" in response.content


def test_decide_form_records_and_redirects(client, call_manager, call):
    application = application_at(call)
    client.force_login(call_manager)
    response = client.post(reverse("awards:decide", args=[application.pk]), _form_data(application))
    assert response.status_code == 302
    assert response["Location"] == reverse("awards:panel", args=[call.pk])
    assert Decision.objects.get().lines.get().gpu_hours == 2000


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reason": ""}, "reason", "This field is required."),
        ({"outcome": ""}, "outcome", "This field is required."),
        ({"start_date": ""}, "start_date", "Give the start date"),
        ({"end_date": "2027-02-01"}, "end_date", "The end date must be after the start date."),
        ({"end_date": "not a date"}, "end_date", "Enter a valid date."),
        ({"gpu_hours_RID": "0"}, "gpu_hours_RID", "Grant GPU-hours on at least one resource"),
        ({"gpu_hours_RID": "-5"}, "gpu_hours_RID", "greater than or equal to 0"),
        ({"gpu_hours_RID": "lots"}, "gpu_hours_RID", "Enter a whole number."),
        ({"gpu_hours_RID": "20000"}, "override", "exceeds the remaining capacity"),
        (
            {"gpu_hours_RID": "20000", "override": "on"},
            "override_reason",
            "Say why the call",
        ),
    ],
)
def test_decide_form_bad_input(client, call_manager, call, overrides, field, message):
    application = application_at(call)
    rid = str(application.requests.get().resource_id)
    overrides = {k.replace("RID", rid): v for k, v in overrides.items()}
    field = field.replace("RID", rid)
    client.force_login(call_manager)
    data = _form_data(application, **{"reason": "Typed reason stays.", **overrides})
    response = client.post(reverse("awards:decide", args=[application.pk]), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    if overrides.get("reason") != "":
        assert "Typed reason stays." in html
    assert not Decision.objects.exists()
    application.refresh_from_db()
    assert application.state == ApplicationState.PANEL


def test_decide_page_says_when_already_decided(client, call_manager, call):
    application = application_at(call)
    _approve(call_manager, application, 500)
    client.force_login(call_manager)
    response = client.get(reverse("awards:decide", args=[application.pk]))
    assert b"cannot be decided now" in response.content
    response = client.post(reverse("awards:decide", args=[application.pk]), _form_data(application))
    assert response.status_code == 200
    assert "already been decided" in response.content.decode()
    assert Decision.objects.count() == 1
