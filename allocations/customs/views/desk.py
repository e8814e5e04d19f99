"""The import desk's pages: the queue of cases by state, a case with its checks, relief,
comments and history, and the decisions (take, request changes, approve, reject, close)."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import htmx_partial, run_action, save_form
from allocations.customs import case_selectors as selectors
from allocations.customs import services
from allocations.customs.case_forms import (
    ApproveForm,
    ChangeRequestForm,
    CommentForm,
    QueueFilterForm,
    ReasonForm,
)
from allocations.customs.models import CaseState
from allocations.customs.workflow_services import CLOSABLE_STATES

QUEUE_TEMPLATE = "customs/desk/queue.html"


def _filters(form: QueueFilterForm) -> selectors.QueueFilters:
    if not form.is_valid():
        return selectors.QueueFilters()
    data = form.cleaned_data
    return selectors.QueueFilters(
        state=data["state"] or "",
        regime=data["regime"],
        search=data["q"] or "",
        order=data["order"] or "submitted",
    )


@require_GET
@vary_on_headers("HX-Request")
@capability_required(Capability.MANAGE_IMPORTS)
def desk_queue(request):
    form = QueueFilterForm(request.GET or None, regimes=selectors.all_regimes())
    filters = _filters(form)
    cases = selectors.desk_queue(filters=filters)
    page = Paginator(cases, selectors.DESK_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    without_state = query.copy()
    without_state.pop("state", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "state_query": without_state.urlencode(),
        "counts": selectors.queue_counts(filters=filters),
        "current_state": filters.state,
    }
    return render(request, htmx_partial(request, QUEUE_TEMPLATE, "results"), context)


@require_GET
@capability_required(Capability.MANAGE_IMPORTS)
def desk_case(request, pk: int):
    case = selectors.case_for_desk(user=request.user, pk=pk)
    context = selectors.case_page(case=case, side=selectors.DESK, today=timezone.localdate())
    context["comment_form"] = CommentForm()
    return render(request, "customs/desk/case.html", context)


@require_POST
@capability_required(Capability.MANAGE_IMPORTS)
def desk_take(request, pk: int):
    run_action(
        request,
        lambda: services.take_case(actor=request.user, case_id=pk),
        success=_("The case is in review with you."),
    )
    return redirect("customs:desk_case", pk)


@dataclass(frozen=True)
class Decision:
    """A desk decision taken with a form whose one field (`field`) is passed on to the
    service under the same name."""

    form_class: type
    field: str
    template: str
    done: str
    states: tuple
    checks: bool = False


REQUEST_CHANGES = Decision(
    form_class=ChangeRequestForm,
    field="comment",
    template="customs/desk/request_changes.html",
    done=_("The case is sent back to the importer with your comment."),
    states=(CaseState.REVIEW,),
)
APPROVE = Decision(
    form_class=ApproveForm,
    field="note",
    template="customs/desk/approve.html",
    done=_("The case is approved; the confirmation is being generated."),
    states=(CaseState.REVIEW,),
    checks=True,
)
REJECT = Decision(
    form_class=ReasonForm,
    field="reason",
    template="customs/desk/reject.html",
    done=_("The case is rejected; its serial numbers are free again."),
    states=(CaseState.REVIEW,),
)
CLOSE = Decision(
    form_class=ReasonForm,
    field="reason",
    template="customs/desk/close.html",
    done=_("The case is closed; its serial numbers are free again."),
    states=CLOSABLE_STATES,
)


def _decision_page(request, pk: int, decision: Decision, service):
    """GET shows the decision's form (or why it cannot be taken now); POST calls the
    service with the form's field. The service has the last word on the state."""
    case = selectors.case_for_desk(user=request.user, pk=pk)
    form = decision.form_class(request.POST or None)
    saved = save_form(
        request,
        form,
        lambda data: service(
            actor=request.user,
            case_id=pk,
            **{decision.field: data[decision.field]},
            now=timezone.now(),
        ),
        success=decision.done,
        then=reverse("customs:desk_case", args=[pk]),
    )
    if saved:
        return saved
    context = {"case": case, "form": form, "allowed": case.state in decision.states}
    if decision.checks:
        context["problem_groups"] = selectors.case_problems(case=case, today=timezone.localdate())
    return render(request, decision.template, context)


@capability_required(Capability.MANAGE_IMPORTS)
def desk_request_changes(request, pk: int):
    return _decision_page(request, pk, REQUEST_CHANGES, services.request_changes)


@capability_required(Capability.MANAGE_IMPORTS)
def desk_approve(request, pk: int):
    return _decision_page(request, pk, APPROVE, services.approve_case)


@capability_required(Capability.MANAGE_IMPORTS)
def desk_reject(request, pk: int):
    return _decision_page(request, pk, REJECT, services.reject_case)


@capability_required(Capability.MANAGE_IMPORTS)
def desk_close(request, pk: int):
    return _decision_page(request, pk, CLOSE, services.close_case)
