"""Steps shared by the awards services, run inside their transactions.

Nothing here opens a transaction or writes an audit event: the calling service does,
once, for the whole change.
"""

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.urls import reverse

from allocations.applications.models import Application, ProjectMember
from allocations.awards import sync
from allocations.awards.models import Allocation, AllocationMember, Decision
from allocations.calls.models import Call
from allocations.core.notifications import notify_user
from allocations.scheduler.models import OperationReason


def account_name(*, project_id: int, application_id: int, resource_id: int | None = None) -> str:
    """The stable Slurm account of an allocation, e.g. "p00012_a000034" (or "…_r3").

    Derived from ids only, so it never changes when titles do. The prefix
    (SLURM_ACCOUNT_PREFIX) tells one portal's accounts from another's on a shared cluster.
    """
    prefix = settings.SLURM_ACCOUNT_PREFIX
    if not re.fullmatch(r"[a-z]{1,4}", prefix):
        raise ImproperlyConfigured("SLURM_ACCOUNT_PREFIX must be 1 to 4 lower-case letters")
    name = f"{prefix}{project_id:05d}_a{application_id:06d}"
    if resource_id is not None:
        name += f"_r{resource_id}"
    return name


def lock_call_and_application(*, application_id: int) -> tuple[Call | None, Application | None]:
    """Lock the call, then the application: the one lock order of every awards service.

    Deciding, declining and closing all change a call's free capacity; taking the
    call's row first makes them wait for one another instead of overbooking.
    """
    call_id = Application.objects.filter(pk=application_id).values_list("call_id", flat=True)
    call_id = call_id.first()
    if call_id is None:
        return None, None
    call = Call.objects.select_for_update().get(pk=call_id)
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("project__organisation", "project__pi", "call")
        .filter(pk=application_id)
        .first()
    )
    return call, application


def create_allocations(*, decision: Decision, application: Application) -> list[Allocation]:
    """One pending allocation per granted line, with the team as members, provisioned.

    The scheduler operations are stored now and sent after commit; each one activates
    its allocation when done (tasks.allocation_provisioned).
    """
    several = application.call.capacities.count() > 1
    team = list(
        ProjectMember.objects.filter(project_id=application.project_id).select_related("user")
    )
    allocations = []
    for line in decision.lines.select_related("resource").order_by("resource__name"):
        allocation = Allocation.objects.create(
            application=application,
            project_id=application.project_id,
            resource=line.resource,
            gpu_hours=line.gpu_hours,
            start_date=decision.start_date,
            end_date=decision.end_date,
            slurm_account=account_name(
                project_id=application.project_id,
                application_id=application.pk,
                resource_id=line.resource_id if several else None,
            ),
        )
        AllocationMember.objects.bulk_create(
            AllocationMember(allocation=allocation, user=member.user) for member in team
        )
        sync.push(allocation=allocation, reason=OperationReason.APPROVAL, activate=True)
        allocations.append(allocation)
    return allocations


def lock_account(*, allocation: Allocation) -> None:
    """Zero GPU limit and no users for a closed allocation; the account stays for accounting."""
    sync.push(allocation=allocation, reason=OperationReason.CLOSURE)


def schedule_letter(decision: Decision) -> None:
    """Generate the decision letter after commit (queue "documents")."""
    from allocations.awards.tasks import generate_decision_letter

    decision_id = decision.pk
    transaction.on_commit(
        lambda: generate_decision_letter.apply_async(
            kwargs={"decision_id": decision_id}, queue="documents"
        )
    )


def notify_team(*, project_id: int, template: str, context: dict, url: str) -> None:
    for member in ProjectMember.objects.filter(project_id=project_id).select_related("user"):
        notify_user(member.user, template=template, context=context, url=url)


def application_context(application: Application) -> dict:
    """What every awards e-mail about an application says (JSON-serialisable)."""
    return {
        "reference": application.reference,
        "project_title": application.project.title,
        "call_title": application.call.title,
        "path": reverse("applications:application_detail", args=[application.pk]),
    }


def allocation_context(allocation: Allocation) -> dict:
    """What every awards e-mail about an allocation says (JSON-serialisable)."""
    return {
        "account": allocation.slurm_account,
        "resource": allocation.resource.name,
        "gpu_hours": allocation.gpu_hours,
        "start_date": allocation.start_date.isoformat(),
        "end_date": allocation.end_date.isoformat(),
        "reference": allocation.application.reference,
        "project_title": allocation.project.title,
        "path": reverse("awards:allocation_detail", args=[allocation.pk]),
    }
