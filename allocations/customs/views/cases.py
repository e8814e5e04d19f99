"""The importer's pages of an import case: list, create, edit the contract, parties,
equipment lines, serial numbers and files, submit, declare, report on use. The pages
both sides share (comments, serial lists, files, the declaration) live here too."""

import os

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import errors_to_messages
from allocations.customs import case_selectors as selectors
from allocations.customs import services
from allocations.customs.case_forms import (
    AttachmentForm,
    CaseCreateForm,
    CaseEditForm,
    CommentForm,
    DeclarationForm,
    LineForm,
    PartyForm,
    ReleaseForm,
    SerialChangeFormSet,
    SerialImportForm,
    UseReportForm,
)
from allocations.customs.case_services import EDITABLE_STATES
from allocations.customs.models import CaseState, PartyRole
from allocations.customs.serial_import import rows_from_text, rows_from_upload

LIST_PAGE_SIZE = 50
READ_ONLY = _("This case has been submitted; it can no longer be changed.")
# Rows of equipment changes a use report form offers (more with ?rows=).
REPORT_ROWS, MAX_REPORT_ROWS = 3, 50
# The report page lists the case's serial numbers up to this many (the rest per line).
REPORT_SERIAL_LIST = 500


def form_error(form, error: ValidationError) -> None:
    """Put a service's refusal on the form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def case_url(case, side: str) -> str:
    name = "customs:desk_case" if side == selectors.DESK else "customs:case_detail"
    return reverse(name, args=[case.pk])


def _editable_or_back(request, case):
    """None when the importer may edit the case, else a redirect to it with a message."""
    if case.state in EDITABLE_STATES:
        return None
    messages.error(request, READ_ONLY)
    return redirect("customs:case_detail", case.pk)


# --- List, create, the case page -------------------------------------------------------


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
    if request.method == "POST" and form.is_valid():
        try:
            case = services.create_case(
                actor=request.user,
                organisation_id=form.cleaned_data["organisation"].pk,
                regime_id=form.cleaned_data["regime"].pk,
                title=form.cleaned_data["title"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Case %(reference)s is open. Add the contract, the parties and the equipment.")
                % {"reference": case.reference},
            )
            return redirect("customs:case_detail", case.pk)
    return render(request, "customs/cases/create.html", {"form": form})


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
    if (back := _editable_or_back(request, case)) is not None:
        return back
    form = CaseEditForm(
        request.POST or None,
        initial=CaseEditForm.initial_from(case),
        regimes=selectors.regimes_for(case=case),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_case(actor=request.user, case_id=pk, values=form.values())
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("The case details are saved."))
            return redirect("customs:case_detail", pk)
    return render(request, "customs/cases/edit.html", {"case": case, "form": form})


# --- Parties ---------------------------------------------------------------------------


@capability_required(Capability.APPLY)
def party_add(request, pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    if (back := _editable_or_back(request, case)) is not None:
        return back
    form = PartyForm(request.POST or None, initial={"role": request.GET.get("role")})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_party(actor=request.user, case_id=pk, values=form.cleaned_data)
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("The party is added."))
            return redirect(f"{reverse('customs:case_detail', args=[pk])}#parties")
    return render(request, "customs/cases/party_form.html", {"case": case, "form": form})


@capability_required(Capability.APPLY)
def party_edit(request, pk: int, party_pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    party = selectors.party_of(case=case, pk=party_pk)
    if (back := _editable_or_back(request, case)) is not None:
        return back
    form = PartyForm(request.POST or None, initial=PartyForm.initial_from(party), fixed_role=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_party(
                actor=request.user, case_id=pk, party_id=party_pk, values=form.cleaned_data
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("The party is saved."))
            return redirect(f"{reverse('customs:case_detail', args=[pk])}#parties")
    context = {"case": case, "form": form, "party": party}
    context["is_importer_party"] = party.role == PartyRole.IMPORTER
    return render(request, "customs/cases/party_form.html", context)


@require_POST
@capability_required(Capability.APPLY)
def party_remove(request, pk: int, party_pk: int):
    try:
        services.remove_party(actor=request.user, case_id=pk, party_id=party_pk)
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("The party is removed."))
    return redirect(f"{reverse('customs:case_detail', args=[pk])}#parties")


# --- Equipment lines -------------------------------------------------------------------


@capability_required(Capability.APPLY)
def line_add(request, pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    if (back := _editable_or_back(request, case)) is not None:
        return back
    form = LineForm(request.POST or None, initial={"currency": case.currency, "unit": "pcs"})
    if request.method == "POST" and form.is_valid():
        try:
            line = services.add_line(actor=request.user, case_id=pk, values=form.cleaned_data)
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Line %(position)s is added. Now add its serial numbers.")
                % {"position": line.position},
            )
            return redirect(f"{reverse('customs:serial_import', args=[pk])}?line={line.pk}")
    return render(request, "customs/cases/line_form.html", {"case": case, "form": form})


@capability_required(Capability.APPLY)
def line_edit(request, pk: int, line_pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    line = selectors.line_of(case=case, pk=line_pk)
    if (back := _editable_or_back(request, case)) is not None:
        return back
    form = LineForm(request.POST or None, initial=LineForm.initial_from(line))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_line(
                actor=request.user, case_id=pk, line_id=line_pk, values=form.cleaned_data
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(
                request, _("Line %(position)s is saved.") % {"position": line.position}
            )
            return redirect(f"{reverse('customs:case_detail', args=[pk])}#lines")
    return render(
        request, "customs/cases/line_form.html", {"case": case, "form": form, "line": line}
    )


@require_POST
@capability_required(Capability.APPLY)
def line_remove(request, pk: int, line_pk: int):
    try:
        services.remove_line(actor=request.user, case_id=pk, line_id=line_pk)
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("The line and its serial numbers are removed."))
    return redirect(f"{reverse('customs:case_detail', args=[pk])}#lines")


# --- Serial numbers --------------------------------------------------------------------


@require_GET
@capability_required(Capability.APPLY)
def line_serials(request, pk: int, line_pk: int):
    """The serial numbers of one line, for the importer and the desk."""
    case, side = selectors.case_for_viewer(user=request.user, pk=pk)
    line = selectors.line_of(case=case, pk=line_pk)
    page = Paginator(selectors.serials_of(line=line), selectors.SERIAL_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "customs/cases/line_serials.html",
        {
            "case": case,
            "line": line,
            "page": page,
            "case_url": case_url(case, side),
            "editable": side == selectors.IMPORTER and case.state in EDITABLE_STATES,
        },
    )


@capability_required(Capability.APPLY)
def serial_import(request, pk: int):
    """Paste serial numbers or upload a CSV/XLSX file; all are saved or none."""
    case = selectors.case_for_importer(user=request.user, pk=pk)
    if (back := _editable_or_back(request, case)) is not None:
        return back
    lines = list(case.lines.all())
    form = SerialImportForm(request.POST or None, request.FILES or None, lines=lines)
    if request.method == "GET" and request.GET.get("line", "").isdigit():
        form.fields["line"].initial = int(request.GET["line"])
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            if upload:
                parsed = rows_from_upload(upload)
                source = os.path.basename(upload.name or "")
            else:
                parsed = rows_from_text(form.cleaned_data["serials"])
                source = "paste"
            created = services.import_serials(
                actor=request.user,
                case_id=pk,
                parsed=parsed,
                line_id=form.cleaned_data.get("line"),
                source=source,
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("%(count)s serial numbers are added.") % {"count": len(created)},
            )
            return redirect(f"{reverse('customs:case_detail', args=[pk])}#lines")
    return render(
        request, "customs/cases/serial_import.html", {"case": case, "form": form, "lines": lines}
    )


@require_POST
@capability_required(Capability.APPLY)
def serial_remove(request, pk: int, serial_pk: int):
    line_pk = request.POST.get("line", "")
    try:
        services.remove_serial(actor=request.user, case_id=pk, serial_id=serial_pk)
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("The serial number is removed."))
    if line_pk.isdigit():
        return redirect("customs:line_serials", pk, int(line_pk))
    return redirect(f"{reverse('customs:case_detail', args=[pk])}#lines")


@require_POST
@capability_required(Capability.APPLY)
def case_delete(request, pk: int):
    try:
        reference = services.delete_draft(actor=request.user, case_id=pk)
    except ValidationError as error:
        errors_to_messages(request, error)
        return redirect("customs:case_detail", pk)
    messages.success(request, _("The draft %(reference)s is deleted.") % {"reference": reference})
    return redirect("customs:case_list")


@require_POST
@capability_required(Capability.APPLY)
def serials_clear(request, pk: int, line_pk: int):
    try:
        count = services.clear_line_serials(actor=request.user, case_id=pk, line_id=line_pk)
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("%(count)s serial numbers are removed.") % {"count": count})
    return redirect(f"{reverse('customs:case_detail', args=[pk])}#lines")


# --- Files -----------------------------------------------------------------------------


@capability_required(Capability.APPLY)
def attachment_upload(request, pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "GET" and request.GET.get("kind"):
        form.fields["kind"].initial = request.GET["kind"]
    if request.method == "POST" and form.is_valid():
        try:
            services.add_attachment(
                actor=request.user,
                case_id=pk,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("The file is attached."))
            return redirect(f"{reverse('customs:case_detail', args=[pk])}#attachments")
    return render(
        request,
        "customs/cases/attachment_form.html",
        {"case": case, "attachment_form": form, "max_bytes": settings.PORTAL_ATTACHMENT_MAX_BYTES},
    )


@require_POST
@capability_required(Capability.APPLY)
def attachment_remove(request, pk: int, attachment_pk: int):
    try:
        services.remove_attachment(actor=request.user, case_id=pk, attachment_id=attachment_pk)
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("The file is removed."))
    return redirect(f"{reverse('customs:case_detail', args=[pk])}#attachments")


@require_GET
@capability_required(Capability.APPLY)
def attachment_download(request, pk: int, attachment_pk: int):
    """Stream the file, to the case's importers and to the desk."""
    attachment = selectors.attachment_for_download(user=request.user, case_pk=pk, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/pdf",
    )


# --- Comments (both sides) -------------------------------------------------------------


@require_POST
@capability_required(Capability.APPLY)
def comment_add(request, pk: int):
    case, side = selectors.case_for_viewer(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the comment."))
    else:
        try:
            services.add_comment(actor=request.user, case_id=pk, body=form.cleaned_data["body"])
        except ValidationError as error:
            errors_to_messages(request, error)
        else:
            messages.success(request, _("Your comment is added."))
    return redirect(f"{case_url(case, side)}#comments")


# --- Submission ------------------------------------------------------------------------


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


# --- After approval (both sides) ------------------------------------------------------


@capability_required(Capability.APPLY)
def case_declare(request, pk: int):
    """Record the customs declaration (and the release, if it has happened)."""
    case, side = selectors.case_for_viewer(user=request.user, pk=pk)
    form = DeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_declaration(
                actor=request.user,
                case_id=pk,
                declaration_number=form.cleaned_data["declaration_number"],
                declaration_date=form.cleaned_data["declaration_date"],
                release_date=form.cleaned_data["release_date"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("The customs declaration is recorded."))
            return redirect(case_url(case, side))
    return render(
        request,
        "customs/cases/declare.html",
        {"case": case, "form": form, "case_url": case_url(case, side)},
    )


@capability_required(Capability.APPLY)
def case_release(request, pk: int):
    case, side = selectors.case_for_viewer(user=request.user, pk=pk)
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_release(
                actor=request.user,
                case_id=pk,
                release_date=form.cleaned_data["release_date"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("The release is recorded; monitoring has started."))
            return redirect(case_url(case, side))
    return render(
        request,
        "customs/cases/release.html",
        {"case": case, "form": form, "case_url": case_url(case, side)},
    )


def _report_rows(request) -> int:
    value = request.GET.get("rows", "")
    return min(int(value), MAX_REPORT_ROWS) if value.isdigit() else REPORT_ROWS


@capability_required(Capability.APPLY)
def report_create(request, pk: int):
    """A use report: the text, and any equipment moved, sold or scrapped."""
    case = selectors.case_for_importer(user=request.user, pk=pk)
    rows = _report_rows(request)
    form = UseReportForm(request.POST or None)
    changes = SerialChangeFormSet(
        request.POST or None, prefix="changes", initial=[{} for _row in range(rows)]
    )
    if request.method == "POST" and form.is_valid() and changes.is_valid():
        rows_typed = [
            services.SerialChange(
                serial=row.get("serial", ""), status=row.get("status", ""), note=row.get("note", "")
            )
            for row in changes.cleaned_data
        ]
        try:
            report = services.submit_use_report(
                actor=request.user,
                case_id=pk,
                text=form.cleaned_data["text"],
                changes=rows_typed,
                now=timezone.now(),
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Your report for the period ending %(date)s is received.")
                % {"date": date_format(report.period_end)},
            )
            return redirect("customs:case_detail", pk)
    serials = selectors.case_serials(case=case)
    serial_count = serials.count()
    return render(
        request,
        "customs/cases/report_form.html",
        {
            "case": case,
            "form": form,
            "changes": changes,
            "serials": serials[:REPORT_SERIAL_LIST],
            "serial_count": serial_count,
            "more_rows": min(rows + 5, MAX_REPORT_ROWS),
            "can_report": case.state == CaseState.MONITORING and case.next_report_due is not None,
        },
    )
