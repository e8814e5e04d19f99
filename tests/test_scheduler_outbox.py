"""The scheduler outbox on the dry-run backend: stored first, sent once per version,
one converge at a time per account, failures kept and retried with backoff."""

from datetime import timedelta

import pytest
from celery import shared_task
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.utils import timezone

from allocations.core.models import AuditEvent
from allocations.scheduler import services
from allocations.scheduler.backends import AccountSpec, SchedulerUnavailable, get_backend
from allocations.scheduler.backends.dry_run import DryRunBackend
from allocations.scheduler.models import (
    OperationReason,
    OperationState,
    SchedulerAccount,
    SchedulerOperation,
)
from allocations.scheduler.services import Outcome, converge_account, request_account_state

CALLBACKS: list[dict] = []


@shared_task(name="tests.scheduler_callback")
def scheduler_callback(**kwargs):
    CALLBACKS.append(kwargs)


def _request(**overrides):
    values = {
        "cluster": "kazgpu",
        "account": "p00012_a000034",
        "gpu_minutes": 600_000,
        "users": ["bob", "alice", "bob"],
        "reason": OperationReason.APPROVAL,
        "description": "APP-000034 Kazakh LLM",
    }
    values.update(overrides)
    return request_account_state(**values)


@pytest.fixture
def broken_backend(monkeypatch):
    """The dry-run backend with its cluster unreachable (an outage, as the real backend
    reports it); `monkeypatch.undo()` ends the outage."""
    calls = []

    def unreachable(self, spec):
        calls.append(spec)
        raise SchedulerUnavailable("POST /slurmdb/v0.0.38/accounts: slurmrestd unreachable")

    monkeypatch.setattr(DryRunBackend, "ensure_account", unreachable)
    return calls


def test_dry_run_lists_the_sacctmgr_commands():
    commands = DryRunBackend().ensure_account(
        AccountSpec(
            cluster="kazgpu",
            account="p00001_a000002",
            gpu_minutes=6000,
            users=("alice",),
            description="APP-000002 Speech",
        )
    )
    assert commands[:3] == [
        "sacctmgr -i add account p00001_a000002 cluster=kazgpu parent=root "
        "description='APP-000002 Speech'",
        "sacctmgr -i modify account p00001_a000002 where cluster=kazgpu "
        "set GrpTRESMins=gres/gpu=6000",
        "sacctmgr -i add user alice account=p00001_a000002 cluster=kazgpu",
    ]


@pytest.mark.django_db
def test_a_change_is_stored_before_anything_is_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        operation = _request()
    assert len(callbacks) == 1
    account = operation.account
    assert (account.desired_version, account.applied_version) == (1, 0)
    assert operation.state == OperationState.PENDING
    assert (operation.gpu_minutes, operation.users) == (600_000, ["alice", "bob"])
    assert AuditEvent.objects.filter(verb="scheduler.change_queued").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    operation.refresh_from_db()
    account.refresh_from_db()
    assert operation.state == OperationState.DONE
    assert operation.backend == "dry-run" and operation.attempts == 1
    assert account.in_sync and account.lease_until is None
    assert "GrpTRESMins=gres/gpu=600000" in operation.actions[1]


@pytest.mark.django_db
def test_converging_twice_sends_once():
    operation = _request()
    now = timezone.now()
    assert converge_account(account_id=operation.account_id, now=now)[0] == Outcome.CONVERGED
    assert converge_account(account_id=operation.account_id, now=now) == (Outcome.IN_SYNC, None)
    operation.refresh_from_db()
    assert operation.attempts == 1
    assert AuditEvent.objects.filter(verb="scheduler.converged").count() == 1


@pytest.mark.django_db
def test_a_newer_change_supersedes_an_unsent_one(django_capture_on_commit_callbacks):
    CALLBACKS.clear()
    with django_capture_on_commit_callbacks(execute=False):
        first = _request(on_done=("tests.scheduler_callback", {"allocation_id": 7}))
        second = _request(users=["alice"], reason=OperationReason.MEMBER_REMOVED)
    assert second.version == 2
    with django_capture_on_commit_callbacks(execute=True):
        converge_account(account_id=first.account_id, now=timezone.now())
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == OperationState.SUPERSEDED and first.attempts == 0
    assert second.state == OperationState.DONE
    # Only the newest state was sent, and the first change's callback still fired.
    assert [c for c in second.actions if "add user" in c] == [
        "sacctmgr -i add user alice account=p00012_a000034 cluster=kazgpu"
    ]
    assert CALLBACKS == [{"allocation_id": 7}]


@pytest.mark.django_db
def test_one_converge_at_a_time_per_account():
    operation = _request()
    account = operation.account
    now = timezone.now()
    account.lease_until = now + timedelta(seconds=30)
    account.save()
    assert converge_account(account_id=account.pk, now=now) == (Outcome.BUSY, None)
    # A lease left by a crashed worker runs out.
    later = now + timedelta(seconds=31)
    assert converge_account(account_id=account.pk, now=later)[0] == Outcome.CONVERGED


@pytest.mark.django_db
def test_a_failure_is_kept_with_the_schedulers_words_and_retried(broken_backend, monkeypatch):
    operation = _request()
    now = timezone.now()
    outcome, retry_in = converge_account(account_id=operation.account_id, now=now)
    assert (outcome, retry_in) == (Outcome.FAILED, 2.0)
    operation.refresh_from_db()
    assert operation.state == OperationState.FAILED and operation.attempts == 1
    assert "slurmrestd unreachable" in operation.last_error
    assert operation.next_attempt_at == now + timedelta(seconds=2)
    assert operation.account.lease_until is None  # released for the retry

    # Early wake-ups do nothing; the second failure doubles the pause.
    assert converge_account(account_id=operation.account_id, now=now) == (Outcome.NOT_DUE, None)
    later = now + timedelta(seconds=2)
    assert converge_account(account_id=operation.account_id, now=later) == (Outcome.FAILED, 4.0)

    monkeypatch.undo()  # the scheduler is back
    last = later + timedelta(seconds=4)
    assert converge_account(account_id=operation.account_id, now=last)[0] == Outcome.CONVERGED
    operation.refresh_from_db()
    assert operation.state == OperationState.DONE and operation.attempts == 3
    assert operation.last_error == "" and operation.next_attempt_at is None
    verbs = list(AuditEvent.objects.values_list("verb", flat=True).order_by("id"))
    assert verbs.count("scheduler.attempt_failed") == 2 and verbs[-1] == "scheduler.converged"


@pytest.mark.parametrize(
    ("attempts", "pause"), [(1, 2.0), (2, 4.0), (3, 8.0), (8, 256.0), (9, 300.0), (30, 300.0)]
)
def test_backoff_doubles_up_to_the_cap(settings, attempts, pause):
    settings.SCHEDULER_RETRY_BASE_SECONDS = 2.0
    settings.SCHEDULER_RETRY_MAX_SECONDS = 300.0
    assert services.retry_delay(attempts) == pause


@pytest.mark.django_db
def test_a_new_change_does_not_wait_for_an_older_ones_backoff(broken_backend, monkeypatch):
    first = _request()
    now = timezone.now()
    converge_account(account_id=first.account_id, now=now)
    second = _request(gpu_minutes=0, reason=OperationReason.SUSPENSION)
    monkeypatch.undo()
    assert converge_account(account_id=first.account_id, now=now)[0] == Outcome.CONVERGED
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == OperationState.SUPERSEDED
    assert first.last_error  # its history stays readable
    assert second.state == OperationState.DONE


@pytest.mark.django_db
def test_beat_resends_what_is_due(broken_backend, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        _request(account="p00001_a000001")  # its message was lost
        failed = _request(account="p00002_a000002")
    now = timezone.now()
    converge_account(account_id=failed.account_id, now=now)
    monkeypatch.undo()
    # Not yet: the lost one is too fresh to be called lost, the failed one not due.
    assert services.send_due_accounts(now=now) == 0
    # Two minutes on (the tasks themselves read the clock, so move the rows back instead).
    earlier = now - timedelta(minutes=2)
    SchedulerOperation.objects.update(created_at=earlier)
    SchedulerOperation.objects.filter(pk=failed.pk).update(next_attempt_at=earlier)
    assert services.send_due_accounts(now=now) == 2  # eager: each converges when sent
    assert SchedulerAccount.objects.filter(applied_version=1).count() == 2
    assert services.send_due_accounts(now=now) == 0


@pytest.mark.django_db
def test_staff_retry_now_skips_the_wait(
    broken_backend, monkeypatch, call_manager, applicant, django_capture_on_commit_callbacks
):
    operation = _request()
    converge_account(account_id=operation.account_id, now=timezone.now())
    monkeypatch.undo()
    with pytest.raises(PermissionDenied):
        services.retry_now(actor=applicant, account_id=operation.account_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_now(actor=call_manager, account_id=operation.account_id)
    operation.refresh_from_db()
    assert operation.state == OperationState.DONE
    event = AuditEvent.objects.get(verb="scheduler.retry_requested")
    assert event.actor == call_manager
    with pytest.raises(ValidationError):
        services.retry_now(actor=call_manager, account_id=operation.account_id)


@pytest.mark.django_db
@pytest.mark.parametrize("account", ["", "1abc", "ab", "Upper_case", "a" * 33, "bad-name"])
def test_invalid_account_names_are_refused(account):
    with pytest.raises(ValidationError):
        _request(account=account)
    assert not SchedulerOperation.objects.exists()


@pytest.mark.django_db
def test_negative_limits_are_refused():
    with pytest.raises(ValidationError):
        _request(gpu_minutes=-1)


def test_unknown_backend_is_a_configuration_error(settings):
    settings.SCHEDULER_BACKEND = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured):
        get_backend()


def test_slurm_rest_needs_its_settings(settings):
    settings.SCHEDULER_BACKEND = "slurm-rest"
    settings.SLURM_REST_URL = ""
    with pytest.raises(ImproperlyConfigured):
        get_backend()
    settings.SLURM_REST_URL = "http://127.0.0.1:16820"
    settings.SLURM_REST_USER = "portal"
    settings.SLURM_REST_TOKEN = "x.y.z"
    settings.SLURM_REST_API_VERSION = "v0.0.12"
    with pytest.raises(ImproperlyConfigured):
        get_backend()


@pytest.mark.django_db
def test_a_misconfigured_backend_is_an_error_staff_can_read(
    settings, django_capture_on_commit_callbacks
):
    settings.SCHEDULER_BACKEND = "slurm-rest"
    settings.SLURM_REST_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        operation = _request()
    operation.refresh_from_db()
    assert operation.state == OperationState.FAILED
    assert "SLURM_REST_URL" in operation.last_error
