"""The portal's `slurm-rest` backend against the real cluster: what an approval, member
changes, suspension and drift do to Slurm's associations, read back with sacctmgr."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from allocations.applications import services as application_services
from allocations.awards import services as award_services
from allocations.awards.models import Allocation, AllocationState
from allocations.scheduler.models import (
    FindingKind,
    OperationReason,
    OperationState,
    SchedulerAccount,
    SchedulerOperation,
)
from allocations.scheduler.reconcile import reconcile_cluster
from allocations.scheduler.services import Outcome, converge_account
from tests.factories import UserFactory
from tests.factories_applications import add_to_team
from tests.factories_awards import (  # noqa: F401  (fixtures)
    application_at,
    approve_application,
    call_with_capacity,
    fast_letters,
    fast_passwords,
)

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.django_db,
    pytest.mark.usefixtures("slurm_rest", "fast_letters", "fast_passwords"),
]


def converge(allocation) -> None:
    """Send every waiting change of the allocation's account, as a worker would."""
    account = SchedulerAccount.objects.get(name=allocation.slurm_account)
    outcome, _ = converge_account(account_id=account.pk, now=timezone.now())
    newest = account.operations.order_by("-version").first()
    assert outcome in (Outcome.CONVERGED, Outcome.IN_SYNC), newest.last_error


@pytest.fixture
def team(cluster_users):
    alice = UserFactory(cluster_username="pt_alice")
    bob = UserFactory(cluster_username="pt_bob")
    carol = UserFactory(cluster_username="pt_carol")
    return alice, bob, carol


@pytest.fixture
def approved(call_manager, team, django_capture_on_commit_callbacks):
    """An approved allocation of 100 GPU-hours for alice (PI) and bob, on the cluster."""
    alice, bob, _carol = team
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call, pi=alice, hours=100)
    add_to_team(application.project, bob)
    with django_capture_on_commit_callbacks(execute=True):
        approve_application(call_manager, application, 100)
    return Allocation.objects.get(application=application)


def test_approval_creates_the_account_its_gpu_limit_and_the_members(approved, associations):
    found = associations(approved.slurm_account)
    assert found["exists"]
    assert found["limit"] == "gres/gpu=6000"  # 100 GPU-hours × 60
    assert found["users"] == {"pt_alice", "pt_bob"}
    approved.refresh_from_db()
    assert approved.state == AllocationState.ACTIVE  # activated once the account existed
    operation = SchedulerOperation.objects.get(account__name=approved.slurm_account)
    assert operation.state == OperationState.DONE and operation.backend == "slurm-rest"
    assert f"created account {approved.slurm_account}" in operation.actions


def test_converging_again_changes_nothing(approved, associations):
    SchedulerAccount.objects.filter(name=approved.slurm_account).update(desired_version=2)
    account = SchedulerAccount.objects.get(name=approved.slurm_account)
    SchedulerOperation.objects.create(
        account=account, version=2, reason=OperationReason.REPAIR, gpu_minutes=6000,
        users=account.users,
    )  # fmt: skip
    converge(approved)
    assert SchedulerOperation.objects.get(account=account, version=2).actions == []
    assert associations(approved.slurm_account)["limit"] == "gres/gpu=6000"


def test_members_follow_the_team(approved, team, associations, django_capture_on_commit_callbacks):
    alice, bob, carol = team
    project = approved.project
    application_services.add_project_member(
        actor=alice, project_id=project.pk, email=carol.email, role="member"
    )
    converge(approved)
    assert associations(approved.slurm_account)["users"] == {"pt_alice", "pt_bob", "pt_carol"}

    member = approved.members.get(user=bob, removed_at__isnull=True)
    award_services.remove_allocation_member(
        actor=alice, allocation_id=approved.pk, member_id=member.pk, now=timezone.now()
    )
    converge(approved)
    assert associations(approved.slurm_account)["users"] == {"pt_alice", "pt_carol"}


def test_a_new_cluster_username_moves_the_association(approved, team, associations):
    from allocations.accounts.cluster_usernames import set_cluster_username

    _alice, bob, _carol = team
    set_cluster_username(actor=bob, user_id=bob.pk, username="pt_dana")
    converge(approved)
    assert associations(approved.slurm_account)["users"] == {"pt_alice", "pt_dana"}


def _wait_for_reason(slurm_run, job_id, reason, seconds=60):
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        seen = slurm_run("squeue", "-h", "-j", job_id, "-o", "%T|%r").strip()
        if seen.endswith(f"|{reason}"):
            return seen
        time.sleep(1)
    pytest.fail(f"job {job_id} never waited with {reason}: last seen {seen!r}")


def test_suspension_sets_zero_and_gpu_jobs_wait(approved, call_manager, associations, slurm_run):
    award_services.suspend_allocation(
        actor=call_manager, allocation_id=approved.pk, reason="Report overdue."
    )
    converge(approved)
    found = associations(approved.slurm_account)
    assert found["limit"] == "gres/gpu=0"
    assert found["users"] == {"pt_alice", "pt_bob"}  # members kept while suspended

    job_id = slurm_run(
        "sbatch", "--parsable", "--uid=pt_alice", "--gid=pt_alice",
        f"--account={approved.slurm_account}", "--partition=h200", "--gres=gpu:1",
        "--time=1", "--chdir=/tmp", "--output=/dev/null", "--wrap", "sleep 1",
    ).strip().split(";")[0]  # fmt: skip
    try:
        assert _wait_for_reason(slurm_run, job_id, "AssocGrpGRESMinutes").startswith("PENDING")
    finally:
        slurm_run("scancel", job_id)

    award_services.resume_allocation(
        actor=call_manager, allocation_id=approved.pk, now=timezone.now()
    )
    converge(approved)
    assert associations(approved.slurm_account)["limit"] == "gres/gpu=6000"


def test_expiry_keeps_the_account_with_no_time_and_no_members(approved, associations):
    today = timezone.localdate()
    Allocation.objects.filter(pk=approved.pk).update(
        start_date=today - timedelta(days=30), end_date=today
    )
    assert award_services.expire_allocations(now=timezone.now()) == 1
    converge(approved)
    found = associations(approved.slurm_account)
    assert found["exists"] and found["limit"] == "gres/gpu=0" and found["users"] == set()


def test_drift_made_by_hand_is_found_and_repaired(
    approved, associations, slurm_run, slurm_rest, django_capture_on_commit_callbacks
):
    account = approved.slurm_account
    cluster = slurm_rest["SLURM_CLUSTER_NAME"]
    slurm_run("sacctmgr", "-i", "modify", "account", account, "set", "GrpTRESMins=gres/gpu=1")
    slurm_run("sacctmgr", "-i", "add", "user", "pt_carol", f"account={account}")
    assert associations(account)["limit"] == "gres/gpu=1"

    with django_capture_on_commit_callbacks(execute=True):  # repairs are sent after commit
        run = reconcile_cluster(cluster=cluster, now=timezone.now())
    mine = [f for f in run.findings if f["account"] == account]
    assert {(f["kind"], f["expected"], f["found"], f["user"]) for f in mine} == {
        (FindingKind.LIMIT_DIFFERS, "6000", "1", ""),
        (FindingKind.EXTRA_USER, "", "", "pt_carol"),
    }
    assert run.repairs_queued >= 1
    found = associations(account)
    assert found["limit"] == "gres/gpu=6000" and found["users"] == {"pt_alice", "pt_bob"}
    repair = SchedulerOperation.objects.filter(account__name=account).latest("version")
    assert repair.reason == OperationReason.REPAIR and repair.state == OperationState.DONE

    again = reconcile_cluster(cluster=cluster, now=timezone.now())
    assert not [f for f in again.findings if f["account"] == account]


def test_an_extension_with_more_hours_and_a_supplement_raise_the_limit(
    approved, team, call_manager, associations
):
    alice = team[0]
    extension = award_services.request_change(
        actor=alice,
        allocation_id=approved.pk,
        kind="extension",
        justification="The training runs longer.",
        requested_end_date=approved.end_date + timedelta(days=90),
        requested_gpu_hours=50,
        now=timezone.now(),
    )
    award_services.decide_change(
        actor=call_manager, change_id=extension.pk, outcome="approved", reason="Fine.",
        now=timezone.now(),
    )  # fmt: skip
    converge(approved)
    assert associations(approved.slurm_account)["limit"] == "gres/gpu=9000"  # 150 h × 60

    supplement = award_services.request_change(
        actor=alice,
        allocation_id=approved.pk,
        kind="supplement",
        justification="One more ablation.",
        requested_gpu_hours=20,
        now=timezone.now(),
    )
    award_services.decide_change(
        actor=call_manager, change_id=supplement.pk, outcome="approved", reason="Fine.",
        now=timezone.now(),
    )  # fmt: skip
    converge(approved)
    assert associations(approved.slurm_account)["limit"] == "gres/gpu=10200"  # 170 h × 60
