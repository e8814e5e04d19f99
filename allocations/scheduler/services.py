"""The scheduler outbox: store each change of an account's desired state, then converge.

- `request_account_state` stores the change (one operation, one version) and sends a
  converge task after commit. The web request never waits for the scheduler.
- `converge_account` sends the newest desired state of one account. A lease on the
  account row lets one worker at a time converge it, without holding a database
  transaction open across HTTP calls. Success settles every older operation; failure is
  stored on the operation with its next attempt (exponential backoff) and retried.
- `send_due_accounts` (beat) re-sends what an outage, a lost message or a crashed worker
  left behind; `retry_now` is the staff button.

Callers describe accounts, never allocations; a caller that wants to hear back passes
`on_done`, the dotted name of a Celery task and its keyword arguments.
"""

import enum
import logging
import re
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from allocations.core.audit import record
from allocations.core.permissions import Capability, require
from allocations.scheduler.backends import AccountSpec, get_backend
from allocations.scheduler.models import (
    UNFINISHED_STATES,
    OperationState,
    SchedulerAccount,
    SchedulerOperation,
)

log = logging.getLogger(__name__)

ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9_]{2,31}$")
# A change still waiting this long after it was stored is sent again by beat (its
# message may have been lost with a broker or worker).
RESEND_AFTER = timedelta(seconds=60)


class Outcome(enum.Enum):
    CONVERGED = "converged"
    FAILED = "failed"  # stored; retry after `retry_in`
    IN_SYNC = "in_sync"  # nothing to send
    BUSY = "busy"  # another worker holds the account; it re-checks when done
    NOT_DUE = "not_due"  # failed earlier and its next attempt is later


@transaction.atomic
def request_account_state(
    *,
    cluster: str,
    account: str,
    gpu_minutes: int,
    users: list[str],
    reason: str,
    description: str = "",
    organization: str = "",
    on_done: tuple[str, dict] | None = None,
) -> SchedulerOperation:
    """Store "this account should have this GPU limit and exactly these users"."""
    if not ACCOUNT_NAME.match(account):
        raise ValidationError(f"Invalid Slurm account name {account!r}")
    if gpu_minutes < 0:
        raise ValidationError("gpu_minutes must not be negative")
    users = sorted(set(users))
    target, created = SchedulerAccount.objects.select_for_update().get_or_create(
        cluster=cluster,
        name=account,
        defaults={"gpu_minutes": gpu_minutes, "users": users, "desired_version": 1},
    )
    if not created:
        target.desired_version += 1
    target.gpu_minutes = int(gpu_minutes)
    target.users = users
    target.description = description[:200] or target.description
    target.organization = organization[:64] or target.organization
    target.save()
    operation = SchedulerOperation.objects.create(
        account=target,
        version=target.desired_version,
        reason=reason,
        gpu_minutes=target.gpu_minutes,
        users=users,
        on_done={"task": on_done[0], "kwargs": on_done[1]} if on_done else {},
    )
    record(
        actor=None,
        verb="scheduler.change_queued",
        target=target,
        to_state=OperationState.PENDING,
        data={"version": operation.version, "reason": reason, "gpu_minutes": gpu_minutes},
    )
    send_after_commit(target.pk)
    return operation


def send_after_commit(account_id: int) -> None:
    """Queue a converge once the caller's transaction commits. A broker that is down
    must not undo or break the caller: beat sends the change later."""

    def send():
        from allocations.scheduler.tasks import converge_account

        converge_account.delay(account_id=account_id)

    transaction.on_commit(send, robust=True)


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: doubling from the base, capped."""
    base = settings.SCHEDULER_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.SCHEDULER_RETRY_MAX_SECONDS)


def _claim(*, account_id: int, now) -> tuple[Outcome, SchedulerAccount | None]:
    """Take the account's lease if there is something to send and nobody else is."""
    with transaction.atomic():
        account = SchedulerAccount.objects.select_for_update().filter(pk=account_id).first()
        if account is None or account.in_sync:
            return Outcome.IN_SYNC, account
        if account.lease_until and account.lease_until > now:
            return Outcome.BUSY, account
        newest = account.operations.get(version=account.desired_version)
        if newest.next_attempt_at and newest.next_attempt_at > now:
            return Outcome.NOT_DUE, account
        account.lease_until = now + timedelta(seconds=settings.SCHEDULER_LEASE_SECONDS)
        account.save(update_fields=["lease_until"])
        return Outcome.CONVERGED, account


def converge_account(*, account_id: int, now) -> tuple[Outcome, float | None]:
    """Send the account's newest desired state; return the outcome and, after a
    failure, the seconds until the next attempt. Safe to call any number of times."""
    outcome, account = _claim(account_id=account_id, now=now)
    if outcome is not Outcome.CONVERGED:
        return outcome, None
    version = account.desired_version
    spec = AccountSpec(
        cluster=account.cluster,
        account=account.name,
        gpu_minutes=account.gpu_minutes,
        users=tuple(account.users),
        description=account.description,
        organization=account.organization,
    )
    backend_name, actions, error = "", [], None
    try:
        backend = get_backend()
        backend_name = backend.name
        actions = backend.ensure_account(spec)
    except Exception as failure:  # every failure is stored and retried, never lost
        log.warning("converging %s failed: %s", account.name, failure)
        error = failure
    return _settle(
        account_id=account_id,
        version=version,
        backend_name=backend_name,
        actions=actions,
        error=error,
        now=now,
    )


@transaction.atomic
def _settle(*, account_id, version, backend_name, actions, error, now):
    account = SchedulerAccount.objects.select_for_update().get(pk=account_id)
    account.lease_until = None
    if error is not None:
        account.save(update_fields=["lease_until"])
        operation = account.operations.get(version=version)
        from_state = operation.state
        operation.attempts += 1
        operation.backend = backend_name
        operation.state = OperationState.FAILED
        operation.last_error = str(error)[:2000] or error.__class__.__name__
        delay = retry_delay(operation.attempts)
        operation.next_attempt_at = now + timedelta(seconds=delay)
        operation.save()
        record(
            actor=None,
            verb="scheduler.attempt_failed",
            target=account,
            from_state=from_state,
            to_state=OperationState.FAILED,
            data={
                "version": version,
                "attempts": operation.attempts,
                "error": operation.last_error,
            },
        )
        return Outcome.FAILED, delay

    account.applied_version = version
    account.converged_at = now
    account.save(update_fields=["lease_until", "applied_version", "converged_at"])
    settled = list(account.operations.filter(version__lte=version, state__in=UNFINISHED_STATES))
    for operation in settled:
        operation.state = (
            OperationState.DONE if operation.version == version else OperationState.SUPERSEDED
        )
        operation.done_at = now
        operation.next_attempt_at = None
        if operation.version == version:
            operation.attempts += 1
            operation.backend = backend_name
            operation.actions = actions
            operation.last_error = ""
        operation.save()
        if operation.on_done:
            _send_callback(operation.on_done)
    record(
        actor=None,
        verb="scheduler.converged",
        target=account,
        to_state=OperationState.DONE,
        data={"version": version, "backend": backend_name, "actions": actions},
    )
    if account.desired_version > version:  # a change arrived while we were sending
        send_after_commit(account.pk)
    return Outcome.CONVERGED, None


def _send_callback(callback: dict) -> None:
    task, kwargs = callback["task"], callback.get("kwargs", {})
    transaction.on_commit(lambda: current_app.signature(task, kwargs=kwargs).delay(), robust=True)


def send_due_accounts(*, now) -> int:
    """Send a converge for every account whose newest change is waiting and due."""
    due = (
        SchedulerOperation.objects.filter(
            version=F("account__desired_version"),
            account__applied_version__lt=F("account__desired_version"),
            created_at__lte=now - RESEND_AFTER,
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(account__lease_until__isnull=True) | Q(account__lease_until__lte=now))
        .values_list("account_id", flat=True)
    )
    from allocations.scheduler.tasks import converge_account as task

    ids = list(due)
    for account_id in ids:
        task.delay(account_id=account_id)
    return len(ids)


@transaction.atomic
def retry_now(*, actor, account_id: int) -> SchedulerAccount:
    """Staff: send a waiting change now instead of at its next scheduled attempt."""
    require(actor, Capability.OPERATE_SCHEDULER)
    account = SchedulerAccount.objects.select_for_update().filter(pk=account_id).first()
    if account is None or account.in_sync:
        raise ValidationError(_("This account has no change waiting for the scheduler."))
    account.operations.filter(state__in=UNFINISHED_STATES).update(next_attempt_at=None)
    record(
        actor=actor,
        verb="scheduler.retry_requested",
        target=account,
        data={"version": account.desired_version},
    )
    send_after_commit(account.pk)
    return account
