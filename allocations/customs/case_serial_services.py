"""The serial numbers of an import case's equipment lines: imported many at once (pasted or
from a CSV/XLSX file, all or none), removed one by one or a line at a time. A serial number
may stand in only one active case."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from allocations.core.audit import record
from allocations.customs.case_access import first_or_404, lock_editable
from allocations.customs.case_line_services import line_of_case
from allocations.customs.checks import normalise_serial
from allocations.customs.models import EquipmentLine, SerialNumber
from allocations.customs.serial_import import ParsedSerials

# A serial-number import lists at most this many problems (and how many more there are).
MAX_LISTED_PROBLEMS = 100
SERIAL_MAX_LENGTH = SerialNumber._meta.get_field("serial").max_length


def _normalised_serial(raw: str) -> str | None:
    """The serial as stored (trimmed, upper-case), or None when it cannot be one."""
    serial = normalise_serial(raw)
    if not serial or len(serial) > SERIAL_MAX_LENGTH or not serial.isprintable():
        return None
    return serial


def _serial_problems(case, parsed: ParsedSerials, default_line) -> tuple[list, list]:
    """What is wrong with the rows (messages naming rows), and the (line, serial) pairs."""
    lines = {line.position: line for line in EquipmentLine.objects.filter(case=case)}
    taken_here = {
        serial.serial: serial.line.position
        for serial in SerialNumber.objects.filter(line__case=case).select_related("line")
    }
    problems: list[str] = []
    wanted: list[tuple[EquipmentLine, str, int]] = []
    first_row: dict[str, int] = {}
    for row in parsed.rows:
        line = default_line
        if row.line:
            position = row.line.strip().rstrip(".")
            line = lines.get(int(position)) if position.isdigit() else None
            if line is None:
                problems.append(
                    _("Row %(row)s: the case has no line no. %(line)s.")
                    % {"row": row.row, "line": row.line}
                )
                continue
        elif line is None:
            problems.append(
                _("Row %(row)s: the line no. is missing; fill it in or choose a line above.")
                % {"row": row.row}
            )
            continue
        if not row.serial:
            problems.append(_("Row %(row)s: the serial number is empty.") % {"row": row.row})
            continue
        serial = _normalised_serial(row.serial)
        if serial is None:
            problems.append(
                _("Row %(row)s: “%(serial)s” is not a valid serial number.")
                % {"row": row.row, "serial": row.serial[:120]}
            )
            continue
        if serial in first_row:
            problems.append(
                _("Row %(row)s repeats the serial number %(serial)s of row %(first)s.")
                % {"row": row.row, "serial": serial, "first": first_row[serial]}
            )
            continue
        first_row[serial] = row.row
        if serial in taken_here:
            problems.append(
                _("Row %(row)s: %(serial)s is already on line %(line)s of this case.")
                % {"row": row.row, "serial": serial, "line": taken_here[serial]}
            )
            continue
        wanted.append((line, serial, row.row))
    clashes = (
        SerialNumber.objects.filter(serial__in=[serial for _l, serial, _r in wanted], active=True)
        .exclude(line__case=case)
        .values_list("serial", "line__case__reference")
    )
    elsewhere = dict(clashes)
    for _line, serial, row in wanted:
        if serial in elsewhere:
            problems.append(
                _(
                    "Row %(row)s: %(serial)s is already in case %(case)s; a serial number "
                    "may stand in only one active case."
                )
                % {"row": row, "serial": serial, "case": elsewhere[serial]}
            )
    return problems, [(line, serial) for line, serial, _r in wanted]


@transaction.atomic
def import_serials(
    *,
    actor,
    case_id: int,
    parsed: ParsedSerials,
    line_id: int | None = None,
    source: str = "paste",
) -> list[SerialNumber]:
    """Add many serial numbers at once, or none: every bad row, repeat within the source,
    serial already on the case or taken by another active case is reported by row number.

    Rows go to the line named in their line column, else to `line_id`.
    """
    case = lock_editable(actor=actor, case_id=case_id)
    default_line = line_of_case(case, line_id) if line_id else None
    if default_line is None and not parsed.has_line_column:
        raise ValidationError({"line": _("Choose the equipment line these serials belong to.")})
    if not parsed.rows:
        raise ValidationError(_("No serial numbers were found."))
    problems, wanted = _serial_problems(case, parsed, default_line)
    if problems:
        listed = problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > MAX_LISTED_PROBLEMS:
            listed.append(
                _("… and %(count)s more problems.") % {"count": len(problems) - MAX_LISTED_PROBLEMS}
            )
        raise ValidationError(listed)
    try:
        with transaction.atomic():
            created = SerialNumber.objects.bulk_create(
                [SerialNumber(line=line, serial=serial, active=True) for line, serial in wanted]
            )
    except IntegrityError as clash:  # serial_unique_in_active_cases: another case just now
        raise ValidationError(
            _("Another case took one of these serial numbers a moment ago. Try again to see which.")
        ) from clash
    per_line: dict[int, int] = {}
    for line, _serial in wanted:
        per_line[line.position] = per_line.get(line.position, 0) + 1
    record(
        actor=actor,
        verb="import_case.serials_added",
        target=case,
        data={
            "count": len(created),
            "per_line": {str(k): v for k, v in sorted(per_line.items())},
            "source": source[:255],
        },
    )
    return created


@transaction.atomic
def remove_serial(*, actor, case_id: int, serial_id: int) -> None:
    case = lock_editable(actor=actor, case_id=case_id)
    serial = first_or_404(
        SerialNumber.objects.filter(pk=serial_id, line__case=case).select_related("line")
    )
    data = {"serial": serial.serial, "position": serial.line.position}
    serial.delete()
    record(actor=actor, verb="import_case.serial_removed", target=case, data=data)


@transaction.atomic
def clear_line_serials(*, actor, case_id: int, line_id: int) -> int:
    """Remove every serial number of one line (to import a corrected list)."""
    case = lock_editable(actor=actor, case_id=case_id)
    line = line_of_case(case, line_id)
    count, _detail = SerialNumber.objects.filter(line=line).delete()
    if count:
        record(
            actor=actor,
            verb="import_case.serials_cleared",
            target=case,
            data={"position": line.position, "count": count},
        )
    return count
