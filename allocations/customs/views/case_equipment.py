"""The pages for a case's equipment: the importer adds, edits and removes lines and imports
or removes their serial numbers; both sides list a line's serial numbers."""

import os

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import run_action, save_form
from allocations.customs import case_selectors as selectors
from allocations.customs import services
from allocations.customs.case_access import EDITABLE_STATES
from allocations.customs.case_forms import LineForm, SerialImportForm
from allocations.customs.serial_import import rows_from_text, rows_from_upload
from allocations.customs.views.case_helpers import case_section_url, case_url, editable_or_back

LINE_TEMPLATE = "customs/cases/line_form.html"


# --- Equipment lines -------------------------------------------------------------------


@capability_required(Capability.APPLY)
def line_add(request, pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    if (back := editable_or_back(request, case)) is not None:
        return back
    form = LineForm(request.POST or None, initial={"currency": case.currency, "unit": "pcs"})
    saved = save_form(
        request,
        form,
        lambda data: services.add_line(actor=request.user, case_id=pk, values=data),
        success=lambda line: (
            _("Line %(position)s is added. Now add its serial numbers.")
            % {"position": line.position}
        ),
        then=lambda line: f"{reverse('customs:serial_import', args=[pk])}?line={line.pk}",
    )
    return saved or render(request, LINE_TEMPLATE, {"case": case, "form": form})


@capability_required(Capability.APPLY)
def line_edit(request, pk: int, line_pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    line = selectors.line_of(case=case, pk=line_pk)
    if (back := editable_or_back(request, case)) is not None:
        return back
    form = LineForm(request.POST or None, initial=LineForm.initial_from(line))
    saved = save_form(
        request,
        form,
        lambda data: services.update_line(
            actor=request.user, case_id=pk, line_id=line_pk, values=data
        ),
        success=_("Line %(position)s is saved.") % {"position": line.position},
        then=case_section_url(pk, "lines"),
    )
    return saved or render(request, LINE_TEMPLATE, {"case": case, "form": form, "line": line})


@require_POST
@capability_required(Capability.APPLY)
def line_remove(request, pk: int, line_pk: int):
    run_action(
        request,
        lambda: services.remove_line(actor=request.user, case_id=pk, line_id=line_pk),
        success=_("The line and its serial numbers are removed."),
    )
    return redirect(case_section_url(pk, "lines"))


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


def _parsed_serials(data: dict):
    """The rows of the uploaded file, else of the pasted text, and where they came from
    (for the audit event)."""
    upload = data.get("file")
    if upload:
        return rows_from_upload(upload), os.path.basename(upload.name or "")
    return rows_from_text(data["serials"]), "paste"


@capability_required(Capability.APPLY)
def serial_import(request, pk: int):
    """Paste serial numbers or upload a CSV/XLSX file; all are saved or none."""
    case = selectors.case_for_importer(user=request.user, pk=pk)
    if (back := editable_or_back(request, case)) is not None:
        return back
    lines = list(case.lines.all())
    form = SerialImportForm(request.POST or None, request.FILES or None, lines=lines)
    if request.method == "GET" and request.GET.get("line", "").isdigit():
        form.fields["line"].initial = int(request.GET["line"])

    def import_serials(data):
        parsed, source = _parsed_serials(data)
        return services.import_serials(
            actor=request.user, case_id=pk, parsed=parsed, line_id=data.get("line"), source=source
        )

    saved = save_form(
        request,
        form,
        import_serials,
        success=lambda created: _("%(count)s serial numbers are added.") % {"count": len(created)},
        then=case_section_url(pk, "lines"),
    )
    return saved or render(
        request, "customs/cases/serial_import.html", {"case": case, "form": form, "lines": lines}
    )


@require_POST
@capability_required(Capability.APPLY)
def serial_remove(request, pk: int, serial_pk: int):
    line_pk = request.POST.get("line", "")
    run_action(
        request,
        lambda: services.remove_serial(actor=request.user, case_id=pk, serial_id=serial_pk),
        success=_("The serial number is removed."),
    )
    if line_pk.isdigit():
        return redirect("customs:line_serials", pk, int(line_pk))
    return redirect(case_section_url(pk, "lines"))


@require_POST
@capability_required(Capability.APPLY)
def serials_clear(request, pk: int, line_pk: int):
    run_action(
        request,
        lambda: services.clear_line_serials(actor=request.user, case_id=pk, line_id=line_pk),
        success=lambda count: _("%(count)s serial numbers are removed.") % {"count": count},
    )
    return redirect(case_section_url(pk, "lines"))
