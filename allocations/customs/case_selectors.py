"""Reads of import cases: who may see which case, what its page shows, the desk's queue.

Importers (owners and members of the case's organisation) see their organisation's
cases; the import desk sees every case that has been submitted at least once. Anyone
else gets a 404, so that ids reveal nothing. The desk looking at a page only importers
may use gets a 403.
"""

from dataclasses import dataclass
from itertools import groupby

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allocations.accounts.models import Membership, Organisation
from allocations.core.audit import timeline_for
from allocations.core.permissions import Capability, has_capability
from allocations.customs.case_services import (
    ATTACHABLE_STATES,
    EDITABLE_STATES,
    IMPORTER_ROLES,
)
from allocations.customs.checks import check_case, format_hs_code, line_total
from allocations.customs.estimates import estimate_relief
from allocations.customs.models import (
    AttachmentKind,
    CaseAttachment,
    CaseComment,
    CaseDocument,
    CaseParty,
    CaseState,
    EquipmentLine,
    ImportCase,
    PreferenceRegime,
    SerialNumber,
    UseReport,
)
from allocations.customs.workflow_services import CLOSABLE_STATES, format_verification_code

DESK_PAGE_SIZE = 50
SERIAL_PAGE_SIZE = 200
IMPORTER = "importer"
DESK = "desk"
# States the desk's queue shows (a draft never submitted is the importer's alone).
QUEUE_STATES = [state for state in CaseState if state != CaseState.DRAFT]

VERB_LABELS = {
    "import_case.created": _("Case opened"),
    "import_case.updated": _("Case details changed"),
    "import_case.party_added": _("Party added"),
    "import_case.party_changed": _("Party changed"),
    "import_case.party_removed": _("Party removed"),
    "import_case.line_added": _("Equipment line added"),
    "import_case.line_changed": _("Equipment line changed"),
    "import_case.line_removed": _("Equipment line removed"),
    "import_case.serials_added": _("Serial numbers added"),
    "import_case.serial_removed": _("Serial number removed"),
    "import_case.serials_cleared": _("Serial numbers of a line removed"),
    "import_case.attachment_added": _("File attached"),
    "import_case.attachment_removed": _("File removed"),
    "import_case.commented": _("Comment"),
    "import_case.submitted": _("Submitted"),
    "import_case.taken": _("Taken into review"),
    "import_case.changes_requested": _("Changes requested"),
    "import_case.approved": _("Approved"),
    "import_case.rejected": _("Rejected"),
    "import_case.declared": _("Customs declaration recorded"),
    "import_case.monitoring_started": _("Released; monitoring started"),
    "import_case.use_report": _("Use report submitted"),
    "import_case.report_reminder": _("Use report reminder sent"),
    "import_case.closed": _("Closed"),
    "import_case.documents_generated": _("Documents generated"),
    "import_case.confirmation_revoked": _("Confirmation revoked"),
}


# --- Who sees what -------------------------------------------------------------------


def importer_organisations(*, user) -> QuerySet[Organisation]:
    """Organisations in which the user may open import cases (owner or member)."""
    return (
        Organisation.objects.filter(memberships__user=user, memberships__role__in=IMPORTER_ROLES)
        .order_by("legal_name")
        .distinct()
    )


def belongs_to_any_organisation(*, user) -> bool:
    return Membership.objects.filter(user=user).exists()


def open_regimes() -> QuerySet[PreferenceRegime]:
    return PreferenceRegime.objects.filter(is_active=True).order_by("name_en")


def all_regimes() -> QuerySet[PreferenceRegime]:
    return PreferenceRegime.objects.order_by("name_en")


def regimes_for(*, case: ImportCase) -> QuerySet[PreferenceRegime]:
    """Regimes a case may move to: those open for new cases, and the one it has."""
    return PreferenceRegime.objects.filter(Q(is_active=True) | Q(pk=case.regime_id)).order_by(
        "name_en"
    )


def _is_importer(user, case: ImportCase) -> bool:
    return Membership.objects.filter(
        organisation_id=case.organisation_id, user=user, role__in=IMPORTER_ROLES
    ).exists()


def _desk_may_see(user, case: ImportCase) -> bool:
    return case.submitted_at is not None and has_capability(user, Capability.MANAGE_IMPORTS)


def cases_for_importer(*, user) -> QuerySet[ImportCase]:
    """Cases of the user's organisations, newest first, with their line counts."""
    return (
        ImportCase.objects.filter(
            organisation__memberships__user=user,
            organisation__memberships__role__in=IMPORTER_ROLES,
        )
        .select_related("organisation", "regime")
        .annotate(line_count=Count("lines", distinct=True))
        .order_by("-created_at", "-id")
        .distinct()
    )


def _case_queryset() -> QuerySet[ImportCase]:
    return ImportCase.objects.select_related(
        "organisation", "regime", "created_by", "decided_by", "confirmation"
    ).prefetch_related(
        Prefetch("parties", queryset=CaseParty.objects.order_by("role", "id")),
        Prefetch(
            "lines",
            queryset=EquipmentLine.objects.annotate(serial_count=Count("serials")).order_by(
                "position"
            ),
        ),
        Prefetch("attachments", queryset=CaseAttachment.objects.select_related("uploaded_by")),
        Prefetch("comments", queryset=CaseComment.objects.select_related("author")),
        Prefetch("documents", queryset=CaseDocument.objects.order_by("kind", "-generated_at")),
        Prefetch(
            "use_reports",
            queryset=UseReport.objects.select_related("submitted_by").order_by("-period_end"),
        ),
    )


def _case(pk: int) -> ImportCase:
    case = _case_queryset().filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def case_for_viewer(*, user, pk: int) -> tuple[ImportCase, str]:
    """The case and the side the user sees it from (IMPORTER or DESK); else 404."""
    case = _case(pk)
    if _is_importer(user, case):
        return case, IMPORTER
    if _desk_may_see(user, case):
        return case, DESK
    raise Http404


def case_for_importer(*, user, pk: int) -> ImportCase:
    """A case the user may edit as an importer: 404 for outsiders, 403 for the desk."""
    case, side = case_for_viewer(user=user, pk=pk)
    if side != IMPORTER:
        raise PermissionDenied
    return case


def case_for_desk(*, user, pk: int) -> ImportCase:
    """A submitted case for the import desk (the view checks the capability); else 404."""
    case = _case(pk)
    if not _desk_may_see(user, case):
        raise Http404
    return case


def line_of(*, case: ImportCase, pk: int) -> EquipmentLine:
    line = next((line for line in case.lines.all() if line.pk == pk), None)
    if line is None:
        raise Http404
    return line


def party_of(*, case: ImportCase, pk: int) -> CaseParty:
    party = next((party for party in case.parties.all() if party.pk == pk), None)
    if party is None:
        raise Http404
    return party


def serials_of(*, line: EquipmentLine) -> QuerySet[SerialNumber]:
    return SerialNumber.objects.filter(line=line).order_by("serial")


def case_serials(*, case: ImportCase) -> QuerySet[SerialNumber]:
    return SerialNumber.objects.filter(line__case=case).select_related("line").order_by("serial")


def attachment_for_download(*, user, case_pk: int, pk: int) -> CaseAttachment:
    """A file of a case the user may see (its importers, the desk); else 404."""
    case, _side = case_for_viewer(user=user, pk=case_pk)
    attachment = next((a for a in case.attachments.all() if a.pk == pk), None)
    if attachment is None:
        raise Http404
    return attachment


# --- The case page ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemGroup:
    line: int | None
    problems: list


@dataclass(frozen=True)
class SeverityGroup:
    severity: str
    label: str
    count: int
    groups: list[ProblemGroup]


def group_problems(problems) -> list[SeverityGroup]:
    """Errors first, then warnings; within each, case-wide problems, then by line."""
    result = []
    labels = {
        "error": _("Errors: they stop the submission"),
        "warning": _("Warnings: check them, they do not stop the submission"),
    }
    for severity in ("error", "warning"):
        mine = [p for p in problems if p.severity == severity]
        if not mine:
            continue
        mine.sort(key=lambda p: (p.line is not None, p.line or 0))
        groups = [
            ProblemGroup(line=line, problems=list(items))
            for line, items in groupby(mine, key=lambda p: p.line)
        ]
        result.append(
            SeverityGroup(severity=severity, label=labels[severity], count=len(mine), groups=groups)
        )
    return result


def case_problems(*, case: ImportCase, today) -> list[SeverityGroup]:
    return group_problems(check_case(case=case, today=today))


def _url(name: str, *args) -> str:
    """The URL, or "" while the route does not exist (pages of other parts of the area)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def documents_of(case: ImportCase) -> list[dict]:
    """The case's generated documents, each with its download link when one exists."""
    return [
        {"document": document, "url": _url("customs:document_download", document.pk)}
        for document in case.documents.all()
    ]


def confirmation_of(case: ImportCase, *, side: str):
    """The case's confirmation with its printed code and links, or None."""
    confirmation = getattr(case, "confirmation", None)
    if confirmation is not None:
        confirmation.code_display = format_verification_code(confirmation.verification_code)
        confirmation.verify_url = _url("customs:verify_code", confirmation.verification_code)
        confirmation.revoke_url = (
            _url("customs:confirmation_revoke", case.pk)
            if side == DESK and confirmation.revoked_at is None
            else ""
        )
    return confirmation


def required_kinds(regime: PreferenceRegime) -> list[str]:
    """Labels of the documents the regime requires."""
    kinds = regime.required_documents if isinstance(regime.required_documents, list) else []
    labels = dict(AttachmentKind.choices)
    return [str(labels.get(kind, kind)) for kind in kinds]


def case_timeline(case: ImportCase) -> list:
    states = dict(CaseState.choices)
    events = list(timeline_for(case))
    for event in events:
        event.verb_label = VERB_LABELS.get(event.verb, event.verb)
        event.from_label = states.get(event.from_state, event.from_state)
        event.to_label = states.get(event.to_state, event.to_state)
    return events


def case_page(*, case: ImportCase, side: str, today) -> dict:
    """Everything the case page shows, for the importer's or the desk's side."""
    problems = check_case(case=case, today=today)
    editable = side == IMPORTER and case.state in EDITABLE_STATES
    state = case.state
    lines = list(case.lines.all())
    for line in lines:
        line.hs_display = format_hs_code(line.hs_code)
        line.total = line_total(line.quantity, line.unit_price)
    context = {
        "case": case,
        "side": side,
        "is_importer": side == IMPORTER,
        "is_desk": side == DESK,
        "editable": editable,
        "lines": lines,
        "problem_groups": group_problems(problems),
        "error_count": sum(1 for p in problems if p.is_error),
        "relief": estimate_relief(case=case),
        "documents": documents_of(case),
        "confirmation": confirmation_of(case, side=side),
        "change_requests": [c for c in case.comments.all() if c.is_change_request],
        "can_attach": side == IMPORTER and state in ATTACHABLE_STATES,
        "can_comment": state != CaseState.CLOSED,
        "can_submit": editable,
        "can_declare": state == CaseState.APPROVED,
        "can_release": state == CaseState.DECLARED,
        "can_report": side == IMPORTER
        and state == CaseState.MONITORING
        and case.next_report_due is not None,
        "can_take": side == DESK and state == CaseState.SUBMITTED,
        "can_decide": side == DESK and state == CaseState.REVIEW,
        "can_close": side == DESK and state in CLOSABLE_STATES,
        "report_overdue": bool(case.next_report_due and case.next_report_due < today),
        "required_kinds": required_kinds(case.regime),
        "max_bytes": settings.PORTAL_ATTACHMENT_MAX_BYTES,
        "dispatch_country_name": countries.name(case.dispatch_country)
        if case.dispatch_country
        else "",
    }
    if side == DESK:
        context["timeline"] = case_timeline(case)
    return context


# --- The desk's queue ------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    state: str = ""
    regime: PreferenceRegime | None = None
    search: str = ""
    order: str = "submitted"


QUEUE_ORDERS = {
    "submitted": ("submitted_at", "id"),
    "-submitted": ("-submitted_at", "-id"),
    "due": ("next_report_due", "id"),
    "reference": ("reference",),
}


def _searched(queryset: QuerySet[ImportCase], search: str) -> QuerySet[ImportCase]:
    search = search.strip()
    if not search:
        return queryset
    serial = SerialNumber.objects.filter(line__case=OuterRef("pk"), serial=search.upper())
    return queryset.filter(
        Q(reference__icontains=search)
        | Q(registry_number__icontains=search)
        | Q(title__icontains=search)
        | Q(organisation__legal_name__icontains=search)
        | Q(organisation__bin=search)
        | Q(declaration_number__icontains=search)
        | Exists(serial)
    )


def _queue_base(filters: QueueFilters) -> QuerySet[ImportCase]:
    queryset = ImportCase.objects.filter(submitted_at__isnull=False).exclude(state=CaseState.DRAFT)
    if filters.regime is not None:
        queryset = queryset.filter(regime=filters.regime)
    return _searched(queryset, filters.search)


def desk_queue(*, filters: QueueFilters) -> QuerySet[ImportCase]:
    """Submitted cases matching the filters, with line and serial counts (one query per
    page, whatever the number of cases)."""
    queryset = _queue_base(filters)
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    lines = (
        EquipmentLine.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("id"))
        .values("n")
    )
    serials = (
        SerialNumber.objects.filter(line__case=OuterRef("pk"))
        .order_by()
        .values("line__case")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        queryset.select_related("organisation", "regime")
        .annotate(
            line_count=Coalesce(Subquery(lines[:1]), 0),
            serial_count=Coalesce(Subquery(serials[:1]), 0),
        )
        .order_by(*QUEUE_ORDERS.get(filters.order, QUEUE_ORDERS["submitted"]))
    )


def queue_counts(*, filters: QueueFilters) -> list[dict]:
    """Cases per state under the other filters (one query), every queue state listed."""
    counts = dict(_queue_base(filters).order_by().values_list("state").annotate(n=Count("id")))
    return [
        {"state": state.value, "label": state.label, "count": counts.get(state.value, 0)}
        for state in QUEUE_STATES
    ]
