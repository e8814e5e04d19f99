"""The import desk's pages: the queue of cases by state, a case with its checks, relief,
comments and history, and the decisions (take, request changes, approve, reject, close)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import errors_to_messages, htmx_partial
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
from allocations.customs.views.cases import form_error
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
    try:
        services.take_case(actor=request.user, case_id=pk)
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("The case is in review with you."))
    return redirect("customs:desk_case", pk)


def _decision_page(request, pk: int, *, form, template: str, act, done: str, states, checks=False):
    """A desk decision with a form: GET shows it (or why it cannot be taken now), POST
    calls `act(form.cleaned_data)`; the service has the last word on the state."""
    case = selectors.case_for_desk(user=request.user, pk=pk)
    if request.method == "POST" and form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, done)
            return redirect("customs:desk_case", pk)
    context = {"case": case, "form": form, "allowed": case.state in states}
    if checks:
        context["problem_groups"] = selectors.case_problems(case=case, today=timezone.localdate())
    return render(request, template, context)


@capability_required(Capability.MANAGE_IMPORTS)
def desk_request_changes(request, pk: int):
    return _decision_page(
        request,
        pk,
        form=ChangeRequestForm(request.POST or None),
        template="customs/desk/request_changes.html",
        act=lambda data: services.request_changes(
            actor=request.user, case_id=pk, comment=data["comment"], now=timezone.now()
        ),
        done=_("The case is sent back to the importer with your comment."),
        states=(CaseState.REVIEW,),
    )


@capability_required(Capability.MANAGE_IMPORTS)
def desk_approve(request, pk: int):
    return _decision_page(
        request,
        pk,
        form=ApproveForm(request.POST or None),
        template="customs/desk/approve.html",
        act=lambda data: services.approve_case(
            actor=request.user, case_id=pk, note=data["note"], now=timezone.now()
        ),
        done=_("The case is approved; the confirmation is being generated."),
        states=(CaseState.REVIEW,),
        checks=True,
    )


@capability_required(Capability.MANAGE_IMPORTS)
def desk_reject(request, pk: int):
    return _decision_page(
        request,
        pk,
        form=ReasonForm(request.POST or None),
        template="customs/desk/reject.html",
        act=lambda data: services.reject_case(
            actor=request.user, case_id=pk, reason=data["reason"], now=timezone.now()
        ),
        done=_("The case is rejected; its serial numbers are free again."),
        states=(CaseState.REVIEW,),
    )


@capability_required(Capability.MANAGE_IMPORTS)
def desk_close(request, pk: int):
    return _decision_page(
        request,
        pk,
        form=ReasonForm(request.POST or None),
        template="customs/desk/close.html",
        act=lambda data: services.close_case(
            actor=request.user, case_id=pk, reason=data["reason"], now=timezone.now()
        ),
        done=_("The case is closed; its serial numbers are free again."),
        states=CLOSABLE_STATES,
    )
