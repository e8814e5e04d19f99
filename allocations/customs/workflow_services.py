"""An import case's way through the import desk:

    draft → submitted → review → changes_requested → submitted → … → approved | rejected
    approved → declared → monitoring → closed

Importers submit (refused while a check reports an error) and record the customs
declaration; the desk takes a case into review, sends it back with what to fix, approves
it (a gapless registry number and a confirmation with a verification code) or rejects it,
and closes it at the end. Rejecting and closing free the case's serial numbers.

Every transition locks the case, checks the actor's side and the source state, changes
it, writes one audit event with the states and sends e-mails and documents after commit.
"""

import base64
import calendar
import secrets
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Membership, Role, User
from allocations.core.audit import record
from allocations.core.notifications import notify_user
from allocations.core.permissions import Capability, has_capability, require
from allocations.customs.case_services import (
    EDITABLE_STATES,
    IMPORTER_ROLES,
    desk_may_see,
    is_importer,
    lock_case,
    lock_for_importer,
    take_sequence_value,
)
from allocations.customs.checks import check_case
from allocations.customs.models import (
    CaseComment,
    CaseState,
    Confirmation,
    ImportCase,
    SerialNumber,
)

REGISTRY_SERIES = "IMP"
CLOSABLE_STATES = (CaseState.APPROVED, CaseState.DECLARED, CaseState.MONITORING)


# --- Helpers -----------------------------------------------------------------------


def registry_number(year: int, value: int) -> str:
    return f"KZ-IMP-{year}-{value:05d}"


def new_verification_code() -> str:
    """16 random upper-case base32 characters (80 bits), e.g. "7KQ2MZXA4TRW3BNE"."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def format_verification_code(code: str) -> str:
    """The code grouped for printing and reading aloud: "7KQ2-MZXA-4TRW-3BNE"."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in common years."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day if it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def confirmation_valid_until(case: ImportCase, *, today: date) -> date:
    """The regime's last day or the planned import date plus the regime's monitoring
    years, whichever is earlier (the regime's `valid_to` is exclusive)."""
    start = case.planned_import_date or today
    until = add_years(start, case.regime.monitoring_years)
    if case.regime.valid_to is not None:
        until = min(until, case.regime.valid_to - timedelta(days=1))
    return until


def _case_context(case: ImportCase, *, path: str, **extra) -> dict:
    return {
        "reference": case.reference,
        "title": case.title,
        "organisation": case.organisation.legal_name,
        "regime": case.regime.name_en,
        "state": case.get_state_display(),
        "registry_number": case.registry_number or "",
        "path": path,
        **extra,
    }


def importer_path(case: ImportCase) -> str:
    return reverse("customs:case_detail", args=[case.pk])


def desk_path(case: ImportCase) -> str:
    return reverse("customs:desk_case", args=[case.pk])


def notify_importers(case: ImportCase, *, template: str, **extra) -> None:
    context = _case_context(case, path=importer_path(case), **extra)
    memberships = Membership.objects.filter(
        organisation_id=case.organisation_id, role__in=IMPORTER_ROLES, user__is_active=True
    ).select_related("user")
    for membership in memberships:
        notify_user(membership.user, template=template, context=context)


def notify_desk(case: ImportCase, *, template: str, **extra) -> None:
    """Every user holding the import desk role."""
    context = _case_context(case, path=desk_path(case), **extra)
    desk = User.objects.filter(role_grants__role=Role.IMPORT_DESK, is_active=True).distinct()
    for user in desk:
        notify_user(user, template=template, context=context)


def send_documents(case: ImportCase) -> None:
    """Render the case's documents after commit (queue "documents")."""
    from allocations.customs.tasks import generate_case_documents

    case_id = case.pk
    transaction.on_commit(
        lambda: generate_case_documents.apply_async(kwargs={"case_id": case_id}, queue="documents")
    )


def _problem_text(problem) -> str:
    return str(problem.message)  # line problems name their line themselves


def blocking_problems(case: ImportCase, *, today: date) -> list:
    """The checks of severity "error": they stop submission and approval."""
    return [problem for problem in check_case(case=case, today=today) if problem.is_error]


def _guard_state(case: ImportCase, allowed: tuple, message) -> None:
    if case.state not in allowed:
        raise ValidationError(message % {"state": case.get_state_display()})


def lock_for_desk(*, actor, case_id: int) -> ImportCase:
    """The case, locked, for the import desk. A desk member who also acts for the
    importing organisation may not decide its cases."""
    require(actor, Capability.MANAGE_IMPORTS)
    case = lock_case(case_id)
    if not desk_may_see(case):
        raise Http404
    if is_importer(actor, case.organisation_id):
        raise PermissionDenied
    return case


def _transition(case: ImportCase, *, actor, to_state: str, verb: str, data=None, fields=()):
    from_state = case.state
    case.state = to_state
    case.save(update_fields=["state", *fields])
    record(
        actor=actor,
        verb=f"import_case.{verb}",
        target=case,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )


# --- Importer ------------------------------------------------------------------------


@transaction.atomic
def submit_case(*, actor, case_id: int, now) -> ImportCase:
    """Draft (or sent back) → submitted. Refused, listing them, while a check reports an
    error. The documents are rendered and the desk and the submitter told, after commit."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    _guard_state(
        case,
        EDITABLE_STATES,
        _("This case cannot be submitted: it is “%(state)s”."),
    )
    problems = blocking_problems(case, today=timezone.localdate(now))
    if problems:
        raise ValidationError([_problem_text(problem) for problem in problems])
    resubmission = case.state == CaseState.CHANGES_REQUESTED
    case.submitted_at = now
    _transition(
        case,
        actor=actor,
        to_state=CaseState.SUBMITTED,
        verb="submitted",
        data={"resubmission": resubmission},
        fields=("submitted_at",),
    )
    send_documents(case)
    notify_desk(case, template="customs_case_submitted", submitter=str(actor))
    notify_user(
        actor,
        template="customs_case_received",
        context=_case_context(case, path=importer_path(case)),
    )
    return case


@transaction.atomic
def record_declaration(
    *,
    actor,
    case_id: int,
    declaration_number: str,
    declaration_date: date,
    release_date: date | None,
    now,
) -> ImportCase:
    """Approved → declared (the customs declaration's number and date), and on to
    monitoring if the goods were already released. The importer or the desk records it."""
    case = _lock_for_declaration(actor=actor, case_id=case_id)
    _guard_state(
        case,
        (CaseState.APPROVED,),
        _("Only an approved case can be declared (this one is “%(state)s”)."),
    )
    today = timezone.localdate(now)
    number = (declaration_number or "").strip()
    errors = {}
    if not number:
        errors["declaration_number"] = [_("Give the customs declaration number.")]
    if declaration_date is None:
        errors["declaration_date"] = [_("Give the declaration date.")]
    elif declaration_date > today:
        errors["declaration_date"] = [_("The declaration date cannot be in the future.")]
    errors |= _release_errors(case, release_date, declaration_date, today)
    if errors:
        raise ValidationError(errors)
    case.declaration_number, case.declaration_date = number, declaration_date
    _transition(
        case,
        actor=actor,
        to_state=CaseState.DECLARED,
        verb="declared",
        data={"declaration_number": number, "declaration_date": declaration_date.isoformat()},
        fields=("declaration_number", "declaration_date"),
    )
    if release_date is not None:
        _start_monitoring(case, actor=actor, release_date=release_date)
    return case


@transaction.atomic
def record_release(*, actor, case_id: int, release_date: date, now) -> ImportCase:
    """Declared → monitoring, from the day customs released the goods."""
    case = _lock_for_declaration(actor=actor, case_id=case_id)
    _guard_state(
        case,
        (CaseState.DECLARED,),
        _("Only a declared case can be released (this one is “%(state)s”)."),
    )
    if release_date is None:
        raise ValidationError({"release_date": _("Give the release date.")})
    errors = _release_errors(case, release_date, case.declaration_date, timezone.localdate(now))
    if errors:
        raise ValidationError(errors)
    _start_monitoring(case, actor=actor, release_date=release_date)
    return case


def _lock_for_declaration(*, actor, case_id: int) -> ImportCase:
    case = lock_case(case_id)
    if is_importer(actor, case.organisation_id):
        return case
    if desk_may_see(case) and has_capability(actor, Capability.MANAGE_IMPORTS):
        return case
    raise Http404


def _release_errors(case, release_date, declaration_date, today) -> dict:
    if release_date is None:
        return {}
    if release_date > today:
        return {"release_date": [_("The release date cannot be in the future.")]}
    if declaration_date is not None and release_date < declaration_date:
        return {"release_date": [_("Goods are released on or after the declaration date.")]}
    return {}


def _start_monitoring(case: ImportCase, *, actor, release_date: date) -> None:
    months = case.regime.report_every_months
    case.release_date = release_date
    case.next_report_due = add_months(release_date, months) if months else None
    _transition(
        case,
        actor=actor,
        to_state=CaseState.MONITORING,
        verb="monitoring_started",
        data={
            "release_date": release_date.isoformat(),
            "next_report_due": case.next_report_due.isoformat() if case.next_report_due else "",
        },
        fields=("release_date", "next_report_due"),
    )


# --- Import desk ---------------------------------------------------------------------


@transaction.atomic
def take_case(*, actor, case_id: int) -> ImportCase:
    """Submitted → review: a desk member starts working on the case."""
    case = lock_for_desk(actor=actor, case_id=case_id)
    _guard_state(
        case,
        (CaseState.SUBMITTED,),
        _("Only a submitted case can be taken into review (this one is “%(state)s”)."),
    )
    _transition(case, actor=actor, to_state=CaseState.REVIEW, verb="taken")
    return case


@transaction.atomic
def request_changes(*, actor, case_id: int, comment: str, now) -> ImportCase:
    """Review → changes_requested, with what to fix (a change-request comment)."""
    case = lock_for_desk(actor=actor, case_id=case_id)
    _guard_state(
        case,
        (CaseState.REVIEW,),
        _("Changes can only be requested on a case in review (this one is “%(state)s”)."),
    )
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what the importer must fix.")})
    note = CaseComment.objects.create(case=case, author=actor, body=comment, is_change_request=True)
    _transition(
        case,
        actor=actor,
        to_state=CaseState.CHANGES_REQUESTED,
        verb="changes_requested",
        data={"comment_id": note.pk, "reason": comment},
    )
    notify_importers(case, template="customs_case_changes_requested", comment=comment)
    return case


@transaction.atomic
def approve_case(*, actor, case_id: int, now, note: str = "") -> ImportCase:
    """Review → approved: the next registry number of the year (gapless: the counter is
    row-locked and rolls back with this transaction) and a confirmation with a random
    verification code. The confirmation document is rendered after commit."""
    case = lock_for_desk(actor=actor, case_id=case_id)
    _guard_state(
        case,
        (CaseState.REVIEW,),
        _("Only a case in review can be approved (this one is “%(state)s”)."),
    )
    today = timezone.localdate(now)
    problems = blocking_problems(case, today=today)
    if problems:
        raise ValidationError([_problem_text(problem) for problem in problems])
    value = take_sequence_value(series=REGISTRY_SERIES, year=today.year)
    case.registry_number = registry_number(today.year, value)
    case.decided_at, case.decided_by = now, actor
    case.decision_reason = (note or "").strip()
    confirmation = Confirmation.objects.create(
        case=case,
        registry_number=case.registry_number,
        verification_code=new_verification_code(),
        issued_at=now,
        valid_until=confirmation_valid_until(case, today=today),
    )
    _transition(
        case,
        actor=actor,
        to_state=CaseState.APPROVED,
        verb="approved",
        data={
            "registry_number": case.registry_number,
            "valid_until": confirmation.valid_until.isoformat(),
            "reason": case.decision_reason,
        },
        fields=("registry_number", "decided_at", "decided_by", "decision_reason"),
    )
    send_documents(case)
    notify_importers(
        case,
        template="customs_case_approved",
        valid_until=confirmation.valid_until,
    )
    return case


def _free_serials(case: ImportCase) -> int:
    return SerialNumber.objects.filter(line__case=case, active=True).update(active=False)


@transaction.atomic
def reject_case(*, actor, case_id: int, reason: str, now) -> ImportCase:
    """Review → rejected, with the reason; the case's serial numbers are freed."""
    case = lock_for_desk(actor=actor, case_id=case_id)
    _guard_state(
        case,
        (CaseState.REVIEW,),
        _("Only a case in review can be rejected (this one is “%(state)s”)."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for rejecting the case.")})
    case.decided_at, case.decided_by, case.decision_reason = now, actor, reason
    freed = _free_serials(case)
    _transition(
        case,
        actor=actor,
        to_state=CaseState.REJECTED,
        verb="rejected",
        data={"reason": reason, "serials_freed": freed},
        fields=("decided_at", "decided_by", "decision_reason"),
    )
    notify_importers(case, template="customs_case_rejected", reason=reason)
    return case


@transaction.atomic
def close_case(*, actor, case_id: int, reason: str, now) -> ImportCase:
    """Approved, declared or monitoring → closed, with the reason; serials freed."""
    case = lock_for_desk(actor=actor, case_id=case_id)
    _guard_state(
        case,
        CLOSABLE_STATES,
        _("Only an approved, declared or monitored case can be closed (this one is “%(state)s”)."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for closing the case.")})
    case.closed_at, case.decision_reason = now, reason
    freed = _free_serials(case)
    _transition(
        case,
        actor=actor,
        to_state=CaseState.CLOSED,
        verb="closed",
        data={"reason": reason, "serials_freed": freed},
        fields=("closed_at", "decision_reason"),
    )
    notify_importers(case, template="customs_case_closed", reason=reason)
    return case
