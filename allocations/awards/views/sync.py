"""The staff page of scheduler sync health: operations waiting or failing, retries,
reconcile runs and their findings. (The scheduler package itself has no views.)"""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import htmx_partial, run_action
from allocations.scheduler import reconcile
from allocations.scheduler import selectors as scheduler_selectors
from allocations.scheduler import services as scheduler_services
from allocations.scheduler.models import OperationState

PAGE_SIZE = 50


@require_GET
@capability_required(Capability.OPERATE_SCHEDULER)
def sync_health(request):
    state = request.GET.get("state", "")
    if state not in (OperationState.PENDING, OperationState.FAILED):
        state = ""
    operations = scheduler_selectors.unfinished_operations(state=state)
    page = Paginator(operations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "counts": scheduler_selectors.sync_counts(),
        "page": page,
        "state": state,
        "query": f"state={state}" if state else "",
        "runs": scheduler_selectors.latest_reconcile_runs(),
        "backend": settings.SCHEDULER_BACKEND,
        "cluster": settings.SLURM_CLUSTER_NAME,
    }
    return render(request, htmx_partial(request, "scheduler/sync_health.html", "health"), context)


@require_POST
@capability_required(Capability.OPERATE_SCHEDULER)
def sync_retry(request, pk: int):
    run_action(
        request,
        lambda: scheduler_services.retry_now(actor=request.user, account_id=pk),
        success=lambda account: (
            _("%(account)s is being sent to the scheduler again.") % {"account": account}
        ),
    )
    return redirect("awards:sync_health")


@require_POST
@capability_required(Capability.OPERATE_SCHEDULER)
def reconcile_start(request):
    run = reconcile.queue_reconcile(actor=request.user, cluster=settings.SLURM_CLUSTER_NAME)
    return redirect("awards:reconcile_run", run.pk)


@require_GET
@capability_required(Capability.OPERATE_SCHEDULER)
def reconcile_run(request, pk: int):
    run = scheduler_selectors.reconcile_run(pk=pk)
    return render(
        request, htmx_partial(request, "scheduler/reconcile_run.html", "progress"), {"run": run}
    )
