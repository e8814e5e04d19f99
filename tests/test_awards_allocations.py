"""Allocations: stable account names, members, provisioning through the dry-run scheduler,
activation, declining and early closing, and offers from the waitlist."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from allocations.applications.models import ApplicationState
from allocations.awards import services
from allocations.awards.models import Allocation, AllocationState, Decision, DecisionOutcome
from allocations.awards.provisioning import account_name
from allocations.core.models import AuditEvent, Notification
from allocations.scheduler.models import OperationReason, OperationState, SchedulerOperation
from allocations.scheduler.services import Outcome, converge_account
from tests.factories import UserFactory
from tests.factories_applications import add_to_team
from tests.factories_awards import (  # noqa: F401  (fixtures)
    application_at,
    call_with_capacity,
    fast_letters,
    fast_passwords,
    set_panel_entry,
)

pytestmark = pytest.mark.usefixtures("fast_letters", "fast_passwords")
ACCOUNT = re.compile(r"^[a-z][a-z0-9_]{2,31}$")


def _future(days=30):
    return timezone.localdate() + timedelta(days=days)


def approve(actor, application, hours, *, start=None, end=None, **kwargs):
    start = start or _future()
    amounts = hours if isinstance(hours, dict) else {application.requests.get().resource_id: hours}
    return services.decide(
        actor=actor,
        application_id=application.pk,
        outcome=DecisionOutcome.APPROVED,
        reason="Funded.",
        amounts=amounts,
        start_date=start,
        end_date=end or start + timedelta(days=180),
        now=timezone.now(),
        **kwargs,
    )


def waitlist(actor, application):
    return services.decide(
        actor=actor,
        application_id=application.pk,
        outcome=DecisionOutcome.WAITLISTED,
        reason="Below the line.",
        now=timezone.now(),
    )


def test_account_names_are_stable_and_valid():
    assert account_name(project_id=12, application_id=34) == "p00012_a000034"
    assert account_name(project_id=12, application_id=34, resource_id=3) == "p00012_a000034_r3"
    assert ACCOUNT.match(account_name(project_id=99999, application_id=999999, resource_id=999))


def test_approval_provisions_an_active_allocation_for_the_team(
    call_manager, django_capture_on_commit_callbacks
):
    call, _rows = call_with_capacity(capacities=(50_000,))
    pi = UserFactory(cluster_username="aigerim")
    application = application_at(call, pi=pi, hours=2000)
    member = UserFactory(cluster_username="bolat")
    add_to_team(application.project, member)
    add_to_team(application.project, UserFactory(cluster_username=None))

    with django_capture_on_commit_callbacks(execute=False):
        approve(call_manager, application, 1500)
    allocation = Allocation.objects.get(application=application)
    expected = f"p{application.project_id:05d}_a{application.pk:06d}"
    assert allocation.slurm_account == expected
    assert allocation.state == AllocationState.PENDING
    assert allocation.members.count() == 3
    operation = SchedulerOperation.objects.get(account__name=expected)
    assert operation.state == OperationState.PENDING
    assert operation.reason == OperationReason.APPROVAL
    assert (operation.gpu_minutes, operation.users) == (90_000, ["aigerim", "bolat"])

    account_id = operation.account_id
    with django_capture_on_commit_callbacks(execute=True):
        converge_account(account_id=account_id, now=timezone.now())
    # A repeat changes nothing.
    assert converge_account(account_id=account_id, now=timezone.now()) == (Outcome.IN_SYNC, None)
    services.activate_allocation(allocation_id=allocation.pk, now=timezone.now())
    operation.refresh_from_db()
    assert operation.state == OperationState.DONE and operation.attempts == 1
    commands = operation.actions
    assert any(f"account {expected} " in c and "GrpTRESMins=gres/gpu=90000" in c for c in commands)
    assert sorted(c.split()[4] for c in commands if " add user " in c) == ["aigerim", "bolat"]
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.ACTIVE
    event = AuditEvent.objects.get(verb="allocation.activated")
    assert event.actor is None and (event.from_state, event.to_state) == ("pending", "active")
    assert Notification.objects.filter(kind="awards_allocation_ready").count() == 3


def test_whole_chain_runs_after_commit(call_manager, django_capture_on_commit_callbacks):
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call, hours=100)
    with django_capture_on_commit_callbacks(execute=True):
        approve(call_manager, application, 100)
    allocation = Allocation.objects.get()
    assert allocation.state == AllocationState.ACTIVE
    operation = SchedulerOperation.objects.get(account__name=allocation.slurm_account)
    assert "GrpTRESMins=gres/gpu=6000" in operation.actions[1]
    assert Decision.objects.get().letter


def test_several_resources_get_one_account_each(call_manager):
    call, rows = call_with_capacity(capacities=(50_000, 20_000))
    hours = {rows[0].resource_id: 1000, rows[1].resource_id: 500}
    application = application_at(call, hours=hours)
    approve(call_manager, application, hours)
    accounts = set(Allocation.objects.values_list("slurm_account", flat=True))
    prefix = f"p{application.project_id:05d}_a{application.pk:06d}"
    assert accounts == {f"{prefix}_r{rows[0].resource_id}", f"{prefix}_r{rows[1].resource_id}"}
    assert SchedulerOperation.objects.count() == 2


# --- Capacity freeing and the waitlist ---------------------------------------------------


@pytest.fixture
def crowded_call(call_manager):
    """Capacity 10 000: A holds 8 000, D 1 500; waitlisted B wants 9 000, C wants 3 000."""
    call, _rows = call_with_capacity(capacities=(10_000,))
    a = application_at(call, hours=8000)
    approve(call_manager, a, 8000)
    d = application_at(call, hours=1500)
    approve(call_manager, d, 1500)
    b = application_at(call, hours=9000)
    set_panel_entry(b, position=1)
    waitlist(call_manager, b)
    c = application_at(call, hours=5000)
    set_panel_entry(c, position=2, proposed=3000)
    waitlist(call_manager, c)
    return call, a, b, c


def test_declining_offers_the_hours_to_the_next_waitlisted_that_fits(crowded_call):
    call, a, b, c = crowded_call
    allocation = Allocation.objects.get(application=a)
    services.decline_allocation(
        actor=a.project.pi,
        allocation_id=allocation.pk,
        reason="Got a grant elsewhere.",
        now=timezone.now(),
    )
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.CLOSED
    assert allocation.released_gpu_hours == 8000
    b.refresh_from_db()
    c.refresh_from_db()
    # B's 9 000 does not fit in the 8 500 now free; C's 3 000 does.
    assert b.state == ApplicationState.WAITLISTED
    assert c.state == ApplicationState.APPROVED
    decision = Decision.objects.get(application=c)
    assert decision.decided_by is None
    assert list(decision.lines.values_list("gpu_hours", flat=True)) == [3000]
    offered = Allocation.objects.get(application=c)
    assert offered.gpu_hours == 3000 and offered.state == AllocationState.PENDING
    event = AuditEvent.objects.get(verb="decision.offered_from_waitlist")
    assert event.actor is None
    assert (event.from_state, event.to_state) == ("waitlisted", "approved")
    declined = AuditEvent.objects.get(verb="allocation.declined")
    assert declined.data["offered_to"] == [c.pk]
    lock = SchedulerOperation.objects.filter(account__name=allocation.slurm_account).latest("id")
    assert (lock.gpu_minutes, lock.users, lock.reason) == (0, [], OperationReason.CLOSURE)


def test_closing_early_releases_the_unused_hours(crowded_call, call_manager):
    call, a, b, c = crowded_call
    allocation = Allocation.objects.get(application=a)
    services.close_allocation(
        actor=call_manager,
        allocation_id=allocation.pk,
        reason="Project ended early.",
        used_gpu_hours=5000,
        now=timezone.now(),
    )
    allocation.refresh_from_db()
    assert (allocation.state, allocation.released_gpu_hours) == (AllocationState.CLOSED, 3000)
    assert allocation.close_reason == "Project ended early."
    c.refresh_from_db()
    assert c.state == ApplicationState.APPROVED  # 3 000 free + 500 left = 3 500 ≥ 3 000
    event = AuditEvent.objects.get(verb="allocation.closed")
    assert event.data["used_gpu_hours"] == 5000 and event.data["released_gpu_hours"] == 3000


def test_decline_is_only_for_the_pi_before_the_start(crowded_call, call_manager):
    call, a, b, c = crowded_call
    allocation = Allocation.objects.get(application=a)
    member = UserFactory()
    add_to_team(a.project, member)
    with pytest.raises(PermissionDenied):
        services.decline_allocation(
            actor=member, allocation_id=allocation.pk, reason="", now=timezone.now()
        )
    with pytest.raises(Http404):
        services.decline_allocation(
            actor=UserFactory(), allocation_id=allocation.pk, reason="", now=timezone.now()
        )
    started = timezone.now() + timedelta(days=31)
    with pytest.raises(ValidationError, match="has started"):
        services.decline_allocation(
            actor=a.project.pi, allocation_id=allocation.pk, reason="", now=started
        )
    allocation.refresh_from_db()
    assert allocation.state != AllocationState.CLOSED
    assert not AuditEvent.objects.filter(verb="allocation.declined").exists()


def test_closing_twice_and_bad_amounts_are_refused(crowded_call, call_manager, applicant):
    call, a, b, c = crowded_call
    allocation = Allocation.objects.get(application=a)
    with pytest.raises(PermissionDenied):
        services.close_allocation(
            actor=applicant,
            allocation_id=allocation.pk,
            reason="x",
            used_gpu_hours=0,
            now=timezone.now(),
        )
    with pytest.raises(ValidationError):
        services.close_allocation(
            actor=call_manager,
            allocation_id=allocation.pk,
            reason="x",
            used_gpu_hours=9000,
            now=timezone.now(),
        )
    with pytest.raises(ValidationError):
        services.close_allocation(
            actor=call_manager,
            allocation_id=allocation.pk,
            reason=" ",
            used_gpu_hours=0,
            now=timezone.now(),
        )
    services.close_allocation(
        actor=call_manager,
        allocation_id=allocation.pk,
        reason="Done.",
        used_gpu_hours=8000,
        now=timezone.now(),
    )
    with pytest.raises(ValidationError, match="already closed"):
        services.close_allocation(
            actor=call_manager,
            allocation_id=allocation.pk,
            reason="Again.",
            used_gpu_hours=0,
            now=timezone.now(),
        )
    c.refresh_from_db()
    assert c.state == ApplicationState.WAITLISTED  # nothing was released


# --- Pages ---------------------------------------------------------------------------------


def test_team_sees_allocation_with_job_snippet(client, call_manager):
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call)
    approve(call_manager, application, 700)
    allocation = Allocation.objects.select_related("resource").get()
    client.force_login(application.project.pi)
    page = client.get(reverse("awards:allocation_list")).content.decode()
    assert allocation.slurm_account in page and "Approved" in page
    detail = client.get(reverse("awards:allocation_detail", args=[allocation.pk])).content.decode()
    snippet = (
        f"sbatch --account={allocation.slurm_account} "
        f"--partition={allocation.resource.partition} --gres=gpu:1 job.sh"
    )
    assert snippet in detail
    assert application.project.pi.email in detail
    assert "Decline this allocation" in detail
    assert "Scheduler operations" not in detail


def test_staff_see_the_scheduler_commands(client, call_manager, django_capture_on_commit_callbacks):
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call)
    with django_capture_on_commit_callbacks(execute=True):
        approve(call_manager, application, 700)
    allocation = Allocation.objects.get()
    client.force_login(call_manager)
    detail = client.get(reverse("awards:allocation_detail", args=[allocation.pk])).content.decode()
    assert "GrpTRESMins=gres/gpu=42000" in detail
    assert "Close early" in detail
    listing = client.get(reverse("awards:staff_allocation_list") + "?state=active").content
    assert allocation.slurm_account.encode() in listing


def test_decline_form_needs_confirmation(client, call_manager):
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call)
    approve(call_manager, application, 700)
    allocation = Allocation.objects.get()
    client.force_login(application.project.pi)
    url = reverse("awards:allocation_decline", args=[allocation.pk])
    response = client.post(url, {"reason": "We found other hardware."})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert "We found other hardware." in response.content.decode()
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.PENDING
    response = client.post(url, {"reason": "We found other hardware.", "confirm": "on"})
    assert response.status_code == 302
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.CLOSED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": "", "used_gpu_hours": "10"}, "reason"),
        ({"reason": "Ended.", "used_gpu_hours": ""}, "used_gpu_hours"),
        ({"reason": "Ended.", "used_gpu_hours": "701"}, "used_gpu_hours"),
        ({"reason": "Ended.", "used_gpu_hours": "-1"}, "used_gpu_hours"),
        ({"reason": "Ended.", "used_gpu_hours": "many"}, "used_gpu_hours"),
    ],
)
def test_close_form_bad_input(client, call_manager, data, field):
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call)
    approve(call_manager, application, 700)
    allocation = Allocation.objects.get()
    client.force_login(call_manager)
    response = client.post(reverse("awards:allocation_close", args=[allocation.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'aria-invalid="true"' in response.content.decode()
    if data["reason"]:
        assert data["reason"] in response.content.decode()
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.PENDING


def test_decided_start_date_guards_decline_page(client, call_manager):
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call)
    approve(call_manager, application, 700, start=date(2020, 1, 1), end=date(2020, 6, 1))
    allocation = Allocation.objects.get()
    client.force_login(application.project.pi)
    page = client.get(reverse("awards:allocation_decline", args=[allocation.pk])).content.decode()
    assert "can no longer be declined" in page


def test_staff_allocation_filter_bad_input_shows_the_error(client, call_manager):
    call, _rows = call_with_capacity(capacities=(50_000,))
    approve(call_manager, application_at(call), 700)
    client.force_login(call_manager)
    response = client.get(reverse("awards:staff_allocation_list") + "?state=sleeping")
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert response.context["page"].paginator.count == 1  # unfiltered, nothing hidden
