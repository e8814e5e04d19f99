"""What the cluster should hold for an allocation, and handing that to the scheduler outbox.

| allocation state  | GrpTRESMins gres/gpu   | user associations              |
|-------------------|------------------------|--------------------------------|
| pending, active   | granted GPU-hours × 60 | active members with a username |
| suspended         | 0                      | kept (resuming restores all)   |
| expired, closed   | 0                      | none                           |

The account itself is never deleted: deleting it would reset Slurm's usage counter and
its history belongs to accounting. Called inside the calling service's transaction.
"""

from allocations.awards.models import Allocation, AllocationMember, AllocationState
from allocations.scheduler import services as scheduler

ACTIVATE_TASK = "allocations.awards.tasks.allocation_provisioned"
RUNNING_STATES = (AllocationState.PENDING, AllocationState.ACTIVE)


def desired_gpu_minutes(allocation: Allocation) -> int:
    if allocation.state in RUNNING_STATES:
        return allocation.gpu_hours * 60
    return 0


def desired_users(allocation: Allocation) -> list[str]:
    if allocation.state in (AllocationState.EXPIRED, AllocationState.CLOSED):
        return []
    return sorted(
        AllocationMember.objects.filter(
            allocation=allocation, removed_at__isnull=True, user__cluster_username__isnull=False
        )
        .exclude(user__cluster_username="")
        .values_list("user__cluster_username", flat=True)
    )


def push(*, allocation: Allocation, reason: str, activate: bool = False) -> None:
    """Store the allocation's desired state as a scheduler operation (sent after commit).

    With `activate`, the allocation turns active once the account exists.
    """
    application = allocation.application
    scheduler.request_account_state(
        cluster=allocation.resource.cluster,
        account=allocation.slurm_account,
        gpu_minutes=desired_gpu_minutes(allocation),
        users=desired_users(allocation),
        reason=reason,
        description=f"{application.reference} {allocation.project.title}",
        organization=f"org{allocation.project.organisation_id}",
        on_done=(ACTIVATE_TASK, {"allocation_id": allocation.pk}) if activate else None,
    )
