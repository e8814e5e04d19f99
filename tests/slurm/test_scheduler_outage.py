"""Scheduler outages, with a real Celery worker on Redis and the real slurmrestd.

With slurmrestd stopped, approvals still succeed and their changes wait; when it
returns they converge with no duplicate and no lost change. A hung daemon (stopped with
SIGSTOP) makes requests time out; they are retried, not fatal.
"""

import os
import signal
import subprocess
import time

import pytest
from django.utils import timezone

from allocations.applications import services as application_services
from allocations.awards.models import Allocation, AllocationState
from allocations.scheduler.models import OperationState, SchedulerAccount, SchedulerOperation
from allocations.scheduler.services import Outcome, converge_account, request_account_state
from tests.factories import UserFactory
from tests.factories_awards import application_at, approve_application, call_with_capacity
from tests.slurm.conftest import SCRIPT, STATE
from tests.worker import start_worker, stop_worker

pytestmark = [pytest.mark.slurm, pytest.mark.celery_worker]


def _cluster(*args):
    result = subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]


def _wait(predicate, *, seconds, what, worker=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker is not None:
            assert worker.poll() is None, "the Celery worker exited; see test-artifacts/"
        time.sleep(0.5)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture
def rest_worker(broker, slurm_rest):
    """A worker using the slurm-rest backend, with short retry pauses for the test."""
    env = {
        "SCHEDULER_BACKEND": "slurm-rest",
        "SLURM_REST_URL": slurm_rest["SLURM_REST_URL"],
        "SLURM_REST_USER": slurm_rest["SLURM_REST_USER"],
        "SLURM_REST_TOKEN": slurm_rest["SLURM_REST_TOKEN"],
        "SLURM_REST_API_VERSION": slurm_rest["SLURM_REST_API_VERSION"],
        "SLURM_CLUSTER_NAME": slurm_rest["SLURM_CLUSTER_NAME"],
        "SCHEDULER_RETRY_BASE_SECONDS": "1",
        "SCHEDULER_RETRY_MAX_SECONDS": "4",
        "SLURM_REST_TIMEOUT": "5",
    }
    process = start_worker(log_name="celery-worker-outage.log", extra_env=env)
    yield process
    stop_worker(process)


@pytest.mark.django_db(transaction=True)
def test_five_approvals_during_an_outage_converge_once_it_ends(
    rest_worker, call_manager, cluster_users, associations, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call, _rows = call_with_capacity(capacities=(50_000,))
    pis = [UserFactory(cluster_username=None) for _ in range(5)]
    pis[0].cluster_username = "pt_alice"
    pis[0].save()
    applications = [application_at(call, pi=pi, hours=100 + i) for i, pi in enumerate(pis)]
    _cluster("stop", "slurmrestd")
    try:
        for application in applications:
            approve_application(call_manager, application, application.requests.get().gpu_hours)
        allocations = list(Allocation.objects.filter(application__in=applications))
        assert len(allocations) == 5  # the portal said yes without the scheduler
        assert {a.state for a in allocations} == {AllocationState.PENDING}

        def all_failed_once():
            ops = SchedulerOperation.objects.filter(account__name__in=_names(allocations))
            return ops.count() == 5 and all(op.attempts >= 1 for op in ops)

        _wait(all_failed_once, seconds=60, what="a first failed attempt each", worker=rest_worker)
        failed = SchedulerOperation.objects.filter(account__name__in=_names(allocations))
        assert {op.state for op in failed} == {OperationState.FAILED}
        assert all("unreachable" in op.last_error for op in failed), [
            op.last_error for op in failed
        ]
        # A change made during the outage must not be lost either: a new team member.
        bob = UserFactory(cluster_username="pt_bob")
        application_services.add_project_member(
            actor=pis[0], project_id=applications[0].project_id, email=bob.email, role="member"
        )
    finally:
        _cluster("start")

    def all_in_sync():
        accounts = SchedulerAccount.objects.filter(name__in=_names(allocations))
        return accounts.count() == 5 and all(a.in_sync for a in accounts)

    _wait(all_in_sync, seconds=90, what="every account to converge", worker=rest_worker)
    for allocation in allocations:
        found = associations(allocation.slurm_account)
        assert found["limit"] == f"gres/gpu={allocation.gpu_hours * 60}"
        ops = SchedulerOperation.objects.filter(account__name=allocation.slurm_account)
        created = [op for op in ops if f"created account {allocation.slurm_account}" in op.actions]
        assert len(created) == 1, "the account was created more than once"
        assert {op.state for op in ops} <= {OperationState.DONE, OperationState.SUPERSEDED}
    first = Allocation.objects.get(application=applications[0])
    assert associations(first.slurm_account)["users"] == {"pt_alice", "pt_bob"}
    _wait(
        lambda: (
            set(
                Allocation.objects.filter(pk__in=[a.pk for a in allocations]).values_list(
                    "state", flat=True
                )
            )
            == {AllocationState.ACTIVE}
        ),
        seconds=30,
        what="the allocations to become active",
    )


def _names(allocations):
    return [a.slurm_account for a in allocations]


def _restd_pid() -> int:
    return int((STATE / "pids" / "slurmrestd.pid").read_text().strip())


@pytest.mark.django_db
def test_a_hung_slurmrestd_times_out_and_the_change_is_retried(slurm_rest, settings, associations):
    settings.SLURM_REST_TIMEOUT = 2.0
    operation = request_account_state(
        cluster=slurm_rest["SLURM_CLUSTER_NAME"],
        account="t99999_a999001",
        gpu_minutes=1200,
        users=[],
        reason="approval",
    )
    pid = _restd_pid()
    os.kill(pid, signal.SIGSTOP)  # the daemon is alive but answers nothing
    try:
        started = time.monotonic()
        outcome, retry_in = converge_account(account_id=operation.account_id, now=timezone.now())
        assert time.monotonic() - started < 10
    finally:
        os.kill(pid, signal.SIGCONT)
    assert outcome == Outcome.FAILED and retry_in is not None
    operation.refresh_from_db()
    assert "no answer within 2 s" in operation.last_error

    # The retry after the pause converges; a request the daemon ran late does no harm.
    later = timezone.now() + timezone.timedelta(seconds=retry_in)
    assert converge_account(account_id=operation.account_id, now=later)[0] == Outcome.CONVERGED
    assert associations("t99999_a999001")["limit"] == "gres/gpu=1200"
