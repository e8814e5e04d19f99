"""What a check reports: a Problem with a stable code from CODES, its severity and a
translated message; the collector the checks add them to."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language, gettext

ERROR = "error"
WARNING = "warning"

# Every code check_case reports, with its severity.
CODES = {
    "no_lines": ERROR,
    "regime_inactive": ERROR,
    "regime_not_valid": ERROR,
    "planned_date_missing": ERROR,
    "planned_date_past": WARNING,
    "regime_no_goods_list": ERROR,
    "hs_code_format": ERROR,
    "hs_code_not_in_list": ERROR,
    "hs_code_contested": WARNING,
    "origin_missing": ERROR,
    "origin_excluded": WARNING,  # loses one exemption, keeps the other
    "origin_excluded_no_relief": ERROR,  # loses everything the regime relieves
    # The same for a regime that compares its excluded countries with the country of dispatch.
    "dispatch_missing": ERROR,
    "dispatch_excluded": WARNING,
    "dispatch_excluded_no_relief": ERROR,
    "importer_missing": ERROR,
    "importer_multiple": ERROR,
    "importer_not_organisation": ERROR,
    "importer_name_differs": WARNING,
    "supplier_missing": ERROR,
    "party_country": ERROR,
    "party_bin_missing": ERROR,
    "party_bin_invalid": ERROR,
    "party_foreign_bin": ERROR,
    "serial_duplicate": ERROR,
    "serial_in_other_case": ERROR,
    "serial_count": ERROR,
    "quantity_not_whole": ERROR,
    # Mixed currencies happen (a EUR accessory on a USD contract); the annex totals per
    # currency, so the desk is warned rather than the case blocked.
    "currency_mismatch": WARNING,
    "line_total_too_large": ERROR,
    "total_too_large": ERROR,
    "total_zero": ERROR,
    "unit_price_zero": WARNING,
    "licence_number_missing": ERROR,
    "licence_document_missing": ERROR,
    "end_user_statement_missing": WARNING,
    "document_missing": ERROR,
}

_TRANSLATED: dict[tuple[str | None, str], str] = {}


def _(message: str) -> str:
    """gettext, remembered per language: a large case repeats the same few messages
    thousands of times."""
    key = (get_language(), message)
    text = _TRANSLATED.get(key)
    if text is None:
        text = _TRANSLATED[key] = gettext(message)
    return text


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    severity: str
    line: int | None = None  # EquipmentLine.position
    field: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def has_errors(problems) -> bool:
    return any(problem.severity == ERROR for problem in problems)


class Collector:
    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, *, line=None, field="", severity=None):
        self.problems.append(
            Problem(
                code=code,
                message=message,
                severity=severity or CODES[code],
                line=line,
                field=field,
            )
        )
