"""The scheduler outbox: store a desired change, then apply it through the backend.

Callers (awards) describe accounts, never allocations. A caller that wants to hear
back passes `on_done`, the dotted name of a Celery task and its keyword arguments,
which is sent once the operation is done; this package imports nothing above core.
"""

import re

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import transaction

from allocations.core.audit import record
from allocations.scheduler.backends import AccountSpec, get_backend
from allocations.scheduler.models import OperationKind, OperationState, SchedulerOperation

ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9_]{2,31}$")


@transaction.atomic
def ensure_account(
    *,
    cluster: str,
    account: str,
    gpu_minutes: int,
    users: list[str],
    description: str,
    on_done: tuple[str, dict] | None = None,
) -> SchedulerOperation:
    """Queue "make this account exist with this GPU limit and these users"."""
    if not ACCOUNT_NAME.match(account):
        raise ValidationError(f"Invalid Slurm account name {account!r}")
    if gpu_minutes < 0:
        raise ValidationError("gpu_minutes must not be negative")
    payload = {
        "gpu_minutes": int(gpu_minutes),
        "users": sorted(set(users)),
        "description": description[:200],
    }
    if on_done is not None:
        task_name, task_kwargs = on_done
        payload["on_done"] = {"task": task_name, "kwargs": task_kwargs}
    operation = SchedulerOperation.objects.create(
        kind=OperationKind.ENSURE_ACCOUNT, cluster=cluster, account=account, payload=payload
    )
    record(
        actor=None,
        verb="scheduler.operation_queued",
        target=operation,
        to_state=OperationState.PENDING,
        data={"account": account, "gpu_minutes": payload["gpu_minutes"]},
    )
    transaction.on_commit(lambda: _send(operation.pk))
    return operation


def _send(operation_id: int) -> None:
    from allocations.scheduler.tasks import run_operation

    run_operation.delay(operation_id=operation_id)


def run_operation(*, operation_id: int, now) -> SchedulerOperation | None:
    """Apply one pending operation; does nothing if it is already done (safe to repeat).

    A backend error is stored on the operation (committed, so staff see it) and raised
    again afterwards so that the Celery task retries with backoff.
    """
    failure: Exception | None = None
    with transaction.atomic():
        operation = SchedulerOperation.objects.select_for_update().filter(pk=operation_id).first()
        if operation is None or operation.state == OperationState.DONE:
            return operation
        backend = get_backend()
        payload = operation.payload
        spec = AccountSpec(
            cluster=operation.cluster,
            account=operation.account,
            gpu_minutes=payload["gpu_minutes"],
            users=tuple(payload.get("users", [])),
            description=payload.get("description", ""),
        )
        from_state = operation.state
        operation.attempts += 1
        operation.backend = backend.name
        try:
            operation.result = backend.ensure_account(spec)
        except Exception as error:  # any backend failure is retried, never lost
            failure = error
            operation.state = OperationState.FAILED
            operation.last_error = str(error)[:2000]
        else:
            operation.state = OperationState.DONE
            operation.last_error = ""
            operation.done_at = now
        operation.save()
        record(
            actor=None,
            verb="scheduler.operation_done" if failure is None else "scheduler.operation_failed",
            target=operation,
            from_state=from_state,
            to_state=operation.state,
            data={"backend": backend.name, "attempts": operation.attempts},
        )
        callback = payload.get("on_done")
        if failure is None and callback:
            transaction.on_commit(
                lambda: current_app.signature(callback["task"], kwargs=callback["kwargs"]).delay()
            )
    if failure is not None:
        raise failure
    return operation
