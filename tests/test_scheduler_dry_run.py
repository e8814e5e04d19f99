"""The scheduler outbox with the dry-run backend: stored first, run once, retried on error."""

import pytest
from celery import shared_task
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone

from allocations.core.models import AuditEvent
from allocations.scheduler import services
from allocations.scheduler.backends import AccountSpec, DryRunBackend, get_backend
from allocations.scheduler.models import OperationState, SchedulerOperation

CALLBACKS: list[dict] = []


@shared_task(name="tests.scheduler_callback")
def scheduler_callback(**kwargs):
    CALLBACKS.append(kwargs)


def _ensure(**overrides):
    values = {
        "cluster": "kazgpu",
        "account": "p00012_a000034",
        "gpu_minutes": 600_000,
        "users": ["alice", "bob"],
        "description": "APP-000034 Kazakh LLM",
    }
    values.update(overrides)
    return services.ensure_account(**values)


def test_dry_run_lists_the_sacctmgr_commands():
    result = DryRunBackend().ensure_account(
        AccountSpec(
            cluster="kazgpu",
            account="p00001_a000002",
            gpu_minutes=6000,
            users=("alice",),
            description="APP-000002 Speech",
        )
    )
    assert result["commands"] == [
        "sacctmgr -i add account p00001_a000002 cluster=kazgpu description='APP-000002 Speech'",
        "sacctmgr -i modify account p00001_a000002 cluster=kazgpu set GrpTRESMins=gres/gpu=6000",
        "sacctmgr -i add user alice account=p00001_a000002 cluster=kazgpu",
    ]


@pytest.mark.django_db
def test_operation_is_stored_before_it_runs_then_done_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        operation = _ensure()
    operation.refresh_from_db()
    assert operation.state == OperationState.PENDING
    assert operation.payload["gpu_minutes"] == 600_000
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    operation.refresh_from_db()
    assert operation.state == OperationState.DONE
    assert operation.backend == "dry-run"
    assert operation.attempts == 1
    assert operation.done_at is not None
    commands = operation.result["commands"]
    assert "GrpTRESMins=gres/gpu=600000" in commands[1]
    assert [c for c in commands if " add user " in c] == [
        "sacctmgr -i add user alice account=p00012_a000034 cluster=kazgpu",
        "sacctmgr -i add user bob account=p00012_a000034 cluster=kazgpu",
    ]
    verbs = list(AuditEvent.objects.order_by("id").values_list("verb", flat=True))
    assert verbs == ["scheduler.operation_queued", "scheduler.operation_done"]


@pytest.mark.django_db
def test_running_twice_does_nothing_the_second_time(django_capture_on_commit_callbacks):
    operation = _ensure()
    services.run_operation(operation_id=operation.pk, now=timezone.now())
    services.run_operation(operation_id=operation.pk, now=timezone.now())
    operation.refresh_from_db()
    assert operation.attempts == 1
    assert AuditEvent.objects.filter(verb="scheduler.operation_done").count() == 1


@pytest.mark.django_db
def test_the_callback_task_is_sent_once_when_done(django_capture_on_commit_callbacks):
    CALLBACKS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        operation = _ensure(on_done=("tests.scheduler_callback", {"allocation_id": 7}))
    with django_capture_on_commit_callbacks(execute=True):
        services.run_operation(operation_id=operation.pk, now=timezone.now())
    assert CALLBACKS == [{"allocation_id": 7}]


@pytest.mark.django_db
def test_a_backend_error_is_kept_on_the_operation_and_raised(monkeypatch):
    operation = _ensure()

    def broken(self, spec):
        raise ConnectionError("slurmrestd unreachable")

    monkeypatch.setattr(DryRunBackend, "ensure_account", broken)
    with pytest.raises(ConnectionError):
        services.run_operation(operation_id=operation.pk, now=timezone.now())
    operation.refresh_from_db()
    assert operation.state == OperationState.FAILED
    assert operation.attempts == 1
    assert "unreachable" in operation.last_error

    monkeypatch.undo()
    services.run_operation(operation_id=operation.pk, now=timezone.now())
    operation.refresh_from_db()
    assert operation.state == OperationState.DONE
    assert operation.attempts == 2
    assert operation.last_error == ""


@pytest.mark.django_db
@pytest.mark.parametrize("account", ["", "1abc", "ab", "Upper_case", "a" * 33, "bad-name"])
def test_invalid_account_names_are_refused(account):
    with pytest.raises(ValidationError):
        _ensure(account=account)
    assert not SchedulerOperation.objects.exists()


def test_unknown_backend_is_a_configuration_error(settings):
    settings.SCHEDULER_BACKEND = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured):
        get_backend()
