"""Pages of the calls area: resources and calls for call managers, the public call page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allocations.calls import selectors, services
from allocations.calls.forms import CallEditor, CallStateFilterForm, ResourceForm
from allocations.calls.models import CallState
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import errors_to_messages, htmx_partial

manages_calls = capability_required(Capability.MANAGE_CALLS)


# --- Resources ---------------------------------------------------------------


@manages_calls
def resource_list(request):
    return render(
        request, "calls/resource_list.html", {"resources": selectors.resources_for_staff()}
    )


@manages_calls
def resource_create(request):
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.create_resource(actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Resource %(name)s created.") % {"name": resource.name})
            return redirect("calls:resource_list")
    return render(request, "calls/resource_form.html", {"form": form, "resource": None})


@manages_calls
def resource_edit(request, pk: int):
    resource = selectors.resource_for_edit(pk=pk)
    form = ResourceForm(request.POST or None, instance=resource)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_resource(
                actor=request.user, resource_id=resource.pk, data=form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Resource %(name)s saved.") % {"name": resource.name})
            return redirect("calls:resource_list")
    return render(request, "calls/resource_form.html", {"form": form, "resource": resource})


def _set_resource_active(request, pk: int, *, active: bool):
    try:
        resource = services.set_resource_active(
            actor=request.user, resource_id=pk, active=active, now=timezone.now()
        )
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        if active:
            text = _("Resource %(name)s is active again.")
        else:
            text = _("Resource %(name)s deactivated: new calls can no longer offer it.")
        messages.success(request, text % {"name": resource.name})
    return redirect("calls:resource_list")


@manages_calls
@require_POST
def resource_deactivate(request, pk: int):
    return _set_resource_active(request, pk, active=False)


@manages_calls
@require_POST
def resource_activate(request, pk: int):
    return _set_resource_active(request, pk, active=True)


# --- Calls (staff) -----------------------------------------------------------


@manages_calls
def staff_call_list(request):
    filters = CallStateFilterForm(request.GET or None)
    state = filters.cleaned_data["state"] if filters.is_valid() else ""
    context = {
        "filters": filters,
        "calls": selectors.calls_for_staff(now=timezone.now(), state=state),
        "states": CallState,
    }
    return render(
        request, htmx_partial(request, "calls/staff_call_list.html", "call-table"), context
    )


def _edit_call(request, call):
    editor = CallEditor(
        call=call,
        resources=selectors.resources_offerable(call=call),
        data=request.POST if request.method == "POST" else None,
    )
    if request.method == "POST" and editor.is_valid():
        try:
            saved = services.save_call(
                actor=request.user, call_id=call.pk if call else None, **editor.payload()
            )
        except ValidationError as error:
            editor.add_error(error)
        else:
            messages.success(request, _("Call %(title)s saved.") % {"title": saved.title})
            return redirect("calls:call_edit", pk=saved.pk)
    return render(
        request,
        "calls/call_form.html",
        {
            "call": call,
            "editor": editor,
            "form": editor.form,
            "state": call.state_at(timezone.now()) if call else CallState.DRAFT,
            "states": CallState,
        },
    )


@manages_calls
def call_create(request):
    return _edit_call(request, None)


@manages_calls
def call_edit(request, pk: int):
    return _edit_call(request, selectors.call_for_edit(pk=pk))


def _publication(request, pk: int, *, publish: bool):
    change = services.publish_call if publish else services.unpublish_call
    try:
        call = change(actor=request.user, call_id=pk)
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        text = _("Call %(title)s published.") if publish else _("Call %(title)s unpublished.")
        messages.success(request, text % {"title": call.title})
    return redirect("calls:call_edit", pk=pk)


@manages_calls
@require_POST
def call_publish(request, pk: int):
    return _publication(request, pk, publish=True)


@manages_calls
@require_POST
def call_unpublish(request, pk: int):
    return _publication(request, pk, publish=False)


# --- Public ------------------------------------------------------------------


def call_detail(request, slug: str):
    context = selectors.call_page(user=request.user, slug=slug, now=timezone.now())
    context["states"] = CallState
    return render(request, "calls/call_detail.html", context)
