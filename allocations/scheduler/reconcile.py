"""Reconcile: read the cluster in bulk, compare with the desired state, repair, report.

The portal owns, for each of its accounts, the GrpTRESMins gres/gpu limit and the set of
user associations. Drift in those is repaired by queueing the desired state again (a
"repair" operation through the ordinary outbox). Anything else on the cluster is the
operators' business; accounts named like the portal's (its SLURM_ACCOUNT_PREFIX) that it
does not know are only reported.
"""

import re
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from allocations.core.audit import record
from allocations.core.permissions import Capability, require
from allocations.scheduler.backends import ObservedAccount, get_backend
from allocations.scheduler.models import (
    FindingKind,
    OperationReason,
    ReconcileRun,
    ReconcileStatus,
    SchedulerAccount,
)
from allocations.scheduler.services import request_account_state


@dataclass(frozen=True)
class Desired:
    account: str
    gpu_minutes: int
    users: frozenset[str]


@dataclass(frozen=True)
class Finding:
    kind: str
    account: str
    user: str = ""
    expected: str = ""
    found: str = ""

    @property
    def repairable(self) -> bool:
        return self.kind != FindingKind.UNKNOWN_ACCOUNT


def compare(
    *,
    desired: list[Desired],
    observed: dict[str, ObservedAccount],
    owned: re.Pattern,
    busy: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Every difference between what the portal wants and what the cluster holds.

    `busy` names portal accounts left out of the comparison (a change in flight): they
    are not reported as unknown.
    """
    findings: list[Finding] = []
    known = set(busy)
    for want in desired:
        known.add(want.account)
        have = observed.get(want.account)
        if have is None:
            findings.append(Finding(FindingKind.MISSING_ACCOUNT, want.account))
            continue
        if have.gpu_minutes != want.gpu_minutes:
            findings.append(
                Finding(
                    FindingKind.LIMIT_DIFFERS,
                    want.account,
                    expected=str(want.gpu_minutes),
                    found="none" if have.gpu_minutes is None else str(have.gpu_minutes),
                )
            )
        for user in sorted(want.users - have.users):
            findings.append(Finding(FindingKind.MISSING_USER, want.account, user=user))
        for user in sorted(have.users - want.users):
            findings.append(Finding(FindingKind.EXTRA_USER, want.account, user=user))
    for name in sorted(set(observed) - known):
        if owned.match(name):
            findings.append(Finding(FindingKind.UNKNOWN_ACCOUNT, name))
    return findings


def _in_sync_snapshot(cluster: str) -> dict[int, tuple]:
    return {
        row[0]: row[1:]
        for row in SchedulerAccount.objects.filter(cluster=cluster).values_list(
            "pk", "name", "applied_version", "desired_version", "gpu_minutes", "users"
        )
    }


@transaction.atomic
def queue_reconcile(*, actor, cluster: str) -> ReconcileRun:
    """Staff: start a reconcile of one cluster now (a Celery task; the page shows progress)."""
    require(actor, Capability.OPERATE_SCHEDULER)
    run = ReconcileRun.objects.create(cluster=cluster, requested_by=actor)
    record(actor=actor, verb="scheduler.reconcile_requested", target=run, data={"cluster": cluster})
    run_id = run.pk

    def send():
        from allocations.scheduler.tasks import run_reconcile

        run_reconcile.delay(run_id=run_id)

    transaction.on_commit(send, robust=True)
    return run


def reconcile_cluster(*, cluster: str, now, repair: bool = True) -> ReconcileRun:
    """Beat (and benchmarks): reconcile one cluster now, in this process."""
    run = ReconcileRun.objects.create(cluster=cluster)
    return run_reconcile(run_id=run.pk, now=now, repair=repair)


def run_reconcile(*, run_id: int, now, repair: bool = True) -> ReconcileRun:
    """Compare one cluster with the desired state; queue repairs; store the findings.

    Accounts with a change in flight are skipped (the outbox will get there), and so are
    accounts whose applied version moved while the cluster was being read. Safe to run
    twice: a finished run is left as it is.
    """
    run = ReconcileRun.objects.get(pk=run_id)
    if run.finished:
        return run
    backend = get_backend()
    run.backend, run.status, run.started_at = backend.name, ReconcileStatus.READING, now
    run.save(update_fields=["backend", "status", "started_at"])
    before = _in_sync_snapshot(run.cluster)
    try:
        observed = backend.read_cluster(run.cluster)
    except Exception as error:  # shown on the sync page; the next run tries again
        run.error = str(error)[:2000] or error.__class__.__name__
        run.status, run.finished_at = ReconcileStatus.FAILED, timezone.now()
        run.save(update_fields=["error", "status", "finished_at"])
        return run
    after = _in_sync_snapshot(run.cluster)

    desired, ids, busy = [], {}, set()
    for pk, (name, applied, wanted, minutes, users) in after.items():
        earlier = before.get(pk)
        if applied != wanted or earlier is None or earlier[1] != applied:
            busy.add(name)
            continue
        desired.append(Desired(account=name, gpu_minutes=minutes, users=frozenset(users)))
        ids[name] = pk
    owned = re.compile(rf"^{re.escape(settings.SLURM_ACCOUNT_PREFIX)}\d+_a\d+(_r\d+)?$")
    findings = compare(desired=desired, observed=observed, owned=owned, busy=frozenset(busy))

    repaired = sorted({f.account for f in findings if f.repairable}) if repair else []
    with transaction.atomic():
        for name in repaired:
            _queue_repair(account_id=ids[name])
        run.accounts_checked = len(desired)
        run.accounts_skipped = len(busy)
        run.repairs_queued = len(repaired)
        run.findings = [asdict(f) for f in findings]
        run.status, run.finished_at = ReconcileStatus.DONE, timezone.now()
        run.save()
        record(
            actor=None,
            verb="scheduler.reconciled",
            target=run,
            data={"findings": len(findings), "repairs": len(repaired), "checked": len(desired)},
        )
    return run


def _queue_repair(*, account_id: int) -> None:
    account = SchedulerAccount.objects.get(pk=account_id)
    request_account_state(
        cluster=account.cluster,
        account=account.name,
        gpu_minutes=account.gpu_minutes,
        users=account.users,
        reason=OperationReason.REPAIR,
    )
