"""The importer's pages of an import case: list, create, edit the case, delete a draft,
submit it, and comment on it (a page both sides share).

The case's parts have their own modules: case_parties, case_equipment (lines and serial
numbers), case_files, and case_after_approval (declaration, release, use reports). Their
views stay importable from here."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import run_action, save_form
from allocations.customs import case_selectors as selectors
from allocations.customs import services
from allocations.customs.case_forms import AttachmentForm, CaseCreateForm, CaseEditForm, CommentForm
from allocations.customs.views.case_after_approval import (
    MAX_REPORT_ROWS,
    REPORT_ROWS,
    REPORT_SERIAL_LIST,
    case_declare,
    case_release,
    report_create,
)
from allocations.customs.views.case_equipment import (
    line_add,
    line_edit,
    line_remove,
    line_serials,
    serial_import,
    serial_remove,
    serials_clear,
)
from allocations.customs.views.case_files import (
    attachment_download,
    attachment_remove,
    attachment_upload,
)
from allocations.customs.views.case_helpers import READ_ONLY, case_url, editable_or_back
from allocations.customs.views.case_parties import party_add, party_edit, party_remove

__all__ = [
    "LIST_PAGE_SIZE",
    "MAX_REPORT_ROWS",
    "READ_ONLY",
    "REPORT_ROWS",
    "REPORT_SERIAL_LIST",
    "attachment_download",
    "attachment_remove",
    "attachment_upload",
    "case_create",
    "case_declare",
    "case_delete",
    "case_detail",
    "case_edit",
    "case_list",
    "case_release",
    "case_submit",
    "case_url",
    "comment_add",
    "line_add",
    "line_edit",
    "line_remove",
    "line_serials",
    "party_add",
    "party_edit",
    "party_remove",
    "report_create",
    "serial_import",
    "serial_remove",
    "serials_clear",
]

LIST_PAGE_SIZE = 50


@require_GET
@capability_required(Capability.APPLY)
def case_list(request):
    cases = selectors.cases_for_importer(user=request.user)
    page = Paginator(cases, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    may_open = selectors.importer_organisations(user=request.user).exists()
    return render(
        request,
        "customs/cases/list.html",
        {
            "page": page,
            "may_open": may_open,
            "in_organisation": may_open or selectors.belongs_to_any_organisation(user=request.user),
        },
    )


@capability_required(Capability.APPLY)
def case_create(request):
    organisations = selectors.importer_organisations(user=request.user)
    if not organisations.exists():
        return render(
            request,
            "customs/cases/no_organisation.html",
            {"in_organisation": selectors.belongs_to_any_organisation(user=request.user)},
        )
    form = CaseCreateForm(
        request.POST or None, organisations=organisations, regimes=selectors.open_regimes()
    )
    if organisations.count() == 1:
        form.fields["organisation"].initial = organisations.first().pk
    saved = save_form(
        request,
        form,
        lambda data: services.create_case(
            actor=request.user,
            organisation_id=data["organisation"].pk,
            regime_id=data["regime"].pk,
            title=data["title"],
            now=timezone.now(),
        ),
        success=lambda case: (
            _("Case %(reference)s is open. Add the contract, the parties and the equipment.")
            % {"reference": case.reference}
        ),
        then=lambda case: reverse("customs:case_detail", args=[case.pk]),
    )
    return saved or render(request, "customs/cases/create.html", {"form": form})


@require_GET
@capability_required(Capability.APPLY)
def case_detail(request, pk: int):
    """The importer's case page; the desk is sent to its own page of the case."""
    case, side = selectors.case_for_viewer(user=request.user, pk=pk)
    if side == selectors.DESK:
        return redirect("customs:desk_case", pk)
    context = selectors.case_page(case=case, side=side, today=timezone.localdate())
    context["comment_form"] = CommentForm()
    context["attachment_form"] = AttachmentForm()
    return render(request, "customs/cases/detail.html", context)


@capability_required(Capability.APPLY)
def case_edit(request, pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    if (back := editable_or_back(request, case)) is not None:
        return back
    form = CaseEditForm(
        request.POST or None,
        initial=CaseEditForm.initial_from(case),
        regimes=selectors.regimes_for(case=case),
    )
    saved = save_form(
        request,
        form,
        lambda _data: services.update_case(actor=request.user, case_id=pk, values=form.values()),
        success=_("The case details are saved."),
        then=reverse("customs:case_detail", args=[pk]),
    )
    return saved or render(request, "customs/cases/edit.html", {"case": case, "form": form})


@require_POST
@capability_required(Capability.APPLY)
def case_delete(request, pk: int):
    deleted = run_action(
        request,
        lambda: services.delete_draft(actor=request.user, case_id=pk),
        success=lambda reference: (
            _("The draft %(reference)s is deleted.") % {"reference": reference}
        ),
    )
    if deleted:
        return redirect("customs:case_list")
    return redirect("customs:case_detail", pk)


@require_POST
@capability_required(Capability.APPLY)
def comment_add(request, pk: int):
    case, side = selectors.case_for_viewer(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        run_action(
            request,
            lambda: services.add_comment(
                actor=request.user, case_id=pk, body=form.cleaned_data["body"]
            ),
            success=_("Your comment is added."),
        )
    else:
        messages.error(request, _("Write the comment."))
    return redirect(f"{case_url(case, side)}#comments")


@capability_required(Capability.APPLY)
def case_submit(request, pk: int):
    """GET: the checks and a button; POST: submit (refused while a check is an error)."""
    case = selectors.case_for_importer(user=request.user, pk=pk)
    refusal = None
    if request.method == "POST":
        try:
            services.submit_case(actor=request.user, case_id=pk, now=timezone.now())
        except ValidationError as error:
            refusal = error.messages
        else:
            messages.success(
                request,
                _("Case %(reference)s is submitted. The import desk will review it.")
                % {"reference": case.reference},
            )
            return redirect("customs:case_detail", pk)
    context = selectors.case_page(case=case, side=selectors.IMPORTER, today=timezone.localdate())
    context["refusal"] = refusal
    return render(request, "customs/cases/submit.html", context)
