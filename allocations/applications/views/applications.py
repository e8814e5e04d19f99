"""An application as its team sees it: start, edit (with autosave), submit, withdraw."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allocations.applications import selectors, services
from allocations.applications.application_services import ApplicationAlreadyOpen
from allocations.applications.forms import (
    ApplicationForm,
    AttachmentForm,
    StartApplicationForm,
    WithdrawForm,
)
from allocations.applications.models import EDITABLE_STATES, WITHDRAWABLE_STATES, TeamRole
from allocations.core.permissions import Capability, capability_required

EDIT_TEMPLATE = "applications/application/edit.html"
NOT_SAVED = _("Not saved: correct the marked fields.")
READ_ONLY = _("This application has been submitted and can no longer be changed.")


def _saved_status(now) -> str:
    return _("Saved at %(time)s") % {"time": time_format(timezone.localtime(now), "H:i")}


def _actions(application) -> dict:
    """What the current user may do with the application in its current state."""
    leading = application.my_role in selectors.LEADING_ROLES
    is_pi = application.my_role == TeamRole.PI
    return {
        "can_edit": leading and application.state in EDITABLE_STATES,
        "can_submit": is_pi and application.state in EDITABLE_STATES,
        "can_withdraw": is_pi and application.state in WITHDRAWABLE_STATES,
    }


def edit_page(request, application, *, form=None, upload_form=None, status="", error=False):
    """Render the edit page; shared with the attachment upload view."""
    if form is None:
        form = ApplicationForm(application=application, today=timezone.localdate())
    return render(
        request,
        EDIT_TEMPLATE,
        {
            "application": application,
            "form": form,
            "upload_form": upload_form if upload_form is not None else AttachmentForm(),
            "status": status,
            "status_error": error,
            "max_bytes": settings.PORTAL_ATTACHMENT_MAX_BYTES,
            **_actions(application),
        },
    )


def _load_editable(request, pk: int):
    """The application if the user may edit it (PI or co-PI); its state is checked after."""
    application = selectors.application_for_member(user=request.user, pk=pk)
    if application.my_role not in selectors.LEADING_ROLES:
        raise PermissionDenied
    return application


def _save(request, application, form, now) -> bool:
    """Save the whole form through the service; False, with errors on the form, if not."""
    if not form.is_valid():
        return False
    try:
        services.save_draft(
            actor=request.user, application_id=application.pk, now=now, **form.draft_values()
        )
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@capability_required(Capability.APPLY)
def application_start(request, slug: str):
    call = selectors.published_call(slug=slug)
    projects = selectors.projects_user_may_apply_with(user=request.user)
    form = StartApplicationForm(request.POST or None, projects=projects)
    existing = None
    if request.method == "POST" and form.is_valid():
        try:
            application = services.start_application(
                actor=request.user,
                project_id=form.cleaned_data["project"].pk,
                call_id=call.pk,
                now=timezone.now(),
            )
        except ApplicationAlreadyOpen as error:
            existing = error.existing
            form.add_error(None, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your draft was created. It saves as you type."))
            return redirect("applications:application_edit", application.pk)
    return render(
        request,
        "applications/application/start.html",
        {
            "call": call,
            "call_open": call.is_open_at(timezone.now()),
            "form": form,
            "has_projects": projects.exists(),
            "existing": existing,
        },
    )


@capability_required(Capability.APPLY)
def application_detail(request, pk: int):
    application = selectors.application_for_member(user=request.user, pk=pk)
    return render(
        request,
        "applications/application/detail.html",
        {"application": application, **_actions(application)},
    )


@capability_required(Capability.APPLY)
def application_edit(request, pk: int):
    application = _load_editable(request, pk)
    if not application.is_editable:
        messages.error(request, READ_ONLY)
        return redirect("applications:application_detail", application.pk)
    if request.method != "POST":
        return edit_page(request, application)
    now = timezone.now()
    form = ApplicationForm(request.POST, application=application, today=timezone.localdate(now))
    if _save(request, application, form, now):
        messages.success(request, _saved_status(now))
        return redirect("applications:application_edit", application.pk)
    return edit_page(request, application, form=form, status=NOT_SAVED, error=True)


@require_POST
@capability_required(Capability.APPLY)
def application_autosave(request, pk: int):
    """Save the whole form or nothing; answer with the status and the field errors only."""
    application = _load_editable(request, pk)
    now = timezone.now()
    today = timezone.localdate(now)
    if not application.is_editable:
        # Nothing is saved; the unbound form clears any error shown next to the fields.
        form = ApplicationForm(application=application, today=today)
        return render(
            request,
            f"{EDIT_TEMPLATE}#autosave_result",
            {"application": application, "form": form, "status": READ_ONLY, "status_error": True},
        )
    form = ApplicationForm(request.POST, application=application, today=today)
    saved = _save(request, application, form, now)
    status, error = (_saved_status(now), False) if saved else (NOT_SAVED, True)
    return render(
        request,
        f"{EDIT_TEMPLATE}#autosave_result",
        {"application": application, "form": form, "status": status, "status_error": error},
    )


@capability_required(Capability.APPLY)
def application_submit(request, pk: int):
    application = selectors.application_for_member(user=request.user, pk=pk)
    if application.my_role != TeamRole.PI:
        raise PermissionDenied
    now = timezone.now()
    problems = []
    if request.method == "POST":
        try:
            services.submit_application(actor=request.user, application_id=pk, now=now)
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(request, _("The application was submitted. The team was notified."))
            return redirect("applications:application_detail", pk)
    elif application.is_editable:
        problems = services.submission_problems(application=application, now=now)
    return render(
        request,
        "applications/application/submit.html",
        {"application": application, "problems": problems, **_actions(application)},
    )


@capability_required(Capability.APPLY)
def application_withdraw(request, pk: int):
    application = selectors.application_for_member(user=request.user, pk=pk)
    if application.my_role != TeamRole.PI:
        raise PermissionDenied
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_application(
                actor=request.user, application_id=pk, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The application was withdrawn."))
            return redirect("applications:application_detail", pk)
    return render(
        request,
        "applications/application/withdraw.html",
        {"application": application, "form": form, **_actions(application)},
    )
