"""The check of a case's serial numbers as a whole: duplicates within the case, and units
already standing in another active case."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Subquery

from allocations.customs.checks.problems import Collector, _
from allocations.customs.checks.values import normalise_serial
from allocations.customs.models import INACTIVE_CASE_STATES, ImportCase, SerialNumber


def check_serials(out: Collector, *, case: ImportCase, serials: list[tuple[int, str]], positions):
    """Duplicates within the case, then serials already in another active case."""
    normalised = [normalise_serial(raw) for _line_id, raw in serials]
    repeated = {serial for serial, count in Counter(normalised).items() if count > 1}
    where: dict[str, list[int]] = defaultdict(list)
    if repeated:
        for (line_id, _raw), serial in zip(serials, normalised, strict=True):
            if serial in repeated:
                where[serial].append(positions.get(line_id))
    for serial, found in where.items():
        out.add(
            "serial_duplicate",
            _(
                "The serial number %(serial)s appears %(count)s times in this case (lines "
                "%(lines)s). Each unit has its own serial number: correct the duplicates."
            )
            % {
                "serial": serial,
                "count": len(found),
                "lines": ", ".join(str(p) for p in sorted(set(found))),
            },
            line=min(found),
            field="serials",
        )
    if not serials:
        return
    # One query: this case's serials (a subquery, so no parameter limit) that stand as
    # active in a case other than this one that is still active.
    own = SerialNumber.objects.filter(line__case_id=case.pk).values("serial")
    clashes = (
        SerialNumber.objects.filter(active=True, serial__in=Subquery(own))
        .exclude(line__case_id=case.pk)
        .exclude(line__case__state__in=INACTIVE_CASE_STATES)
        .values_list("serial", "line__case__reference")
        .order_by("serial", "line__case__reference")
    )
    first_line: dict[str, int] = {}
    for serial, reference in clashes:
        if not first_line:
            for (line_id, _raw), own_serial in zip(serials, normalised, strict=True):
                first_line.setdefault(own_serial, positions.get(line_id))
        found = [first_line.get(normalise_serial(serial))]
        out.add(
            "serial_in_other_case",
            _(
                "Line %(line)s: the serial number %(serial)s is already in the active case "
                "%(reference)s. A unit may stand in one active case only: correct the serial "
                "number, or have the other case withdrawn or closed first."
            )
            % {"line": found[0], "serial": serial, "reference": reference},
            line=found[0],
            field="serials",
        )
