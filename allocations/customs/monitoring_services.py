"""After release: the importer's periodic use reports and the reminders before and after
a report falls due.

A use report covers the period ending on the case's `next_report_due`; submitting it
moves that date on by the regime's interval (from the due date, so the schedule does not
drift with late reports). It may also mark serial numbers as moved, sold or scrapped.

Reminders (beat, daily) go to the organisation's importers once when a report falls due
within REMINDER_DAYS, and once when it is overdue, per due date. What was sent is kept as
an audit event on the case (`import_case.report_reminder`, data {"due", "kind"}).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from allocations.core.audit import record
from allocations.core.models import AuditEvent
from allocations.customs.case_services import lock_case, lock_for_importer
from allocations.customs.models import (
    CaseState,
    ImportCase,
    SerialNumber,
    SerialStatus,
    UseReport,
)
from allocations.customs.workflow_services import add_months, notify_importers

REMINDER_DAYS = 14
REMINDER_VERB = "import_case.report_reminder"
DUE_SOON, OVERDUE = "due_soon", "overdue"


@dataclass(frozen=True)
class SerialChange:
    """One row of a report's equipment changes, as the importer typed it."""

    serial: str
    status: str
    note: str = ""


def _serial_changes(case: ImportCase, changes: list[SerialChange], now) -> list[SerialNumber]:
    """The case's serial numbers with their new status set, or a ValidationError naming
    each bad row (counted from 1)."""
    wanted = [change for change in changes if change.serial.strip()]
    serials = {
        serial.serial: serial
        for serial in SerialNumber.objects.filter(
            line__case=case, serial__in=[change.serial.strip().upper() for change in wanted]
        )
    }
    problems, updated, seen = [], [], set()
    for number, change in enumerate(changes, start=1):
        key = change.serial.strip().upper()
        if not key:
            continue
        serial = serials.get(key)
        if serial is None:
            problems.append(
                _("Row %(row)s: %(serial)s is not a serial number of this case.")
                % {"row": number, "serial": change.serial.strip()}
            )
            continue
        if key in seen:
            problems.append(
                _("Row %(row)s: %(serial)s is listed twice.") % {"row": number, "serial": key}
            )
            continue
        seen.add(key)
        if change.status not in SerialStatus.values:
            problems.append(_("Row %(row)s: choose the status.") % {"row": number})
            continue
        note = change.note.strip()
        if change.status != SerialStatus.IN_USE and not note:
            problems.append(
                _("Row %(row)s: say where %(serial)s went, to whom it was sold or why it was "
                  "scrapped.")
                % {"row": number, "serial": key}
            )  # fmt: skip
            continue
        if serial.status == change.status and serial.status_note == note:
            continue
        serial.status, serial.status_note, serial.status_changed_at = change.status, note, now
        updated.append(serial)
    if problems:
        raise ValidationError({"changes": problems})
    return updated


@transaction.atomic
def submit_use_report(
    *, actor, case_id: int, text: str, changes: list[SerialChange], now
) -> UseReport:
    """The importer reports on the period ending on the next due date; the due date moves
    on by the regime's interval."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    if case.state != CaseState.MONITORING:
        raise ValidationError(
            _("Use reports are made while the equipment is monitored (this case is “%(state)s”).")
            % {"state": case.get_state_display()}
        )
    if case.next_report_due is None:
        raise ValidationError(_("The regime of this case asks for no use reports."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Describe where and how the equipment is used.")})
    updated = _serial_changes(case, changes, now)
    period_end = case.next_report_due
    try:
        with transaction.atomic():
            report = UseReport.objects.create(
                case=case, period_end=period_end, text=text, submitted_by=actor, submitted_at=now
            )
    except IntegrityError as twice:  # use_report_once_per_period
        raise ValidationError(_("This period has already been reported on.")) from twice
    SerialNumber.objects.bulk_update(updated, ["status", "status_note", "status_changed_at"])
    case.next_report_due = add_months(period_end, case.regime.report_every_months)
    case.save(update_fields=["next_report_due"])
    record(
        actor=actor,
        verb="import_case.use_report",
        target=case,
        data={
            "report_id": report.pk,
            "period_end": period_end.isoformat(),
            "next_report_due": case.next_report_due.isoformat(),
            "serials": {serial.serial: serial.status for serial in updated},
        },
    )
    return report


# --- Reminders -----------------------------------------------------------------------


def reminder_kind(due: date, *, today: date) -> str | None:
    if due < today:
        return OVERDUE
    if due <= today + timedelta(days=REMINDER_DAYS):
        return DUE_SOON
    return None


def send_report_reminders(*, today: date) -> int:
    """Remind the importers of every monitored case whose report is due within
    REMINDER_DAYS or overdue, once per kind and due date. Safe to run repeatedly."""
    horizon = today + timedelta(days=REMINDER_DAYS)
    ids = list(
        ImportCase.objects.filter(
            state=CaseState.MONITORING, next_report_due__isnull=False, next_report_due__lte=horizon
        ).values_list("pk", flat=True)
    )
    return sum(_remind_one(case_id=pk, today=today) for pk in ids)


@transaction.atomic
def _remind_one(*, case_id: int, today: date) -> int:
    case = lock_case(case_id)  # two overlapping runs wait here and the second sees the first
    if case.state != CaseState.MONITORING or case.next_report_due is None:
        return 0
    due = case.next_report_due
    kind = reminder_kind(due, today=today)
    if kind is None:
        return 0
    already = AuditEvent.objects.filter(
        verb=REMINDER_VERB,
        target_type=ContentType.objects.get_for_model(ImportCase),
        target_id=str(case.pk),
        data__due=due.isoformat(),
        data__kind=kind,
    ).exists()
    if already:
        return 0
    record(actor=None, verb=REMINDER_VERB, target=case, data={"due": due.isoformat(), "kind": kind})
    template = "customs_report_overdue" if kind == OVERDUE else "customs_report_due"
    notify_importers(case, template=template, due=due)
    return 1
