"""Checks of an import case before it is submitted, and again when the desk reviews it.

`check_case` reads the case's regime, goods list, parties, lines, serial numbers and
attachments in a constant number of queries and returns every problem it finds. A problem
of severity "error" blocks submission; a "warning" does not, but the importer and the desk
should read it. Each problem has a stable `code` (see CODES) so that pages and tests can
tell them apart, and a translated message that says what to do.

One module per family of checks: the regime and its goods list (regime.py), the parties
(parties.py), the equipment lines (lines.py), the serial numbers across the case
(serials.py), the attachments (required_documents.py); check_case itself in case.py. What
a problem is: problems.py. How HS codes, serial numbers and amounts are normalised (used
across the customs area): values.py.

Callers import from this package (`from allocations.customs.checks import ...`), not from
its modules, so that the cut between the modules can change without touching them.
"""

from allocations.customs.checks.case import check_case
from allocations.customs.checks.lines import CONTESTED_HEADINGS, COUNTABLE_UNITS, MONEY_LIMIT
from allocations.customs.checks.problems import CODES, ERROR, WARNING, Problem, has_errors
from allocations.customs.checks.regime import (
    GoodsIndex,
    compared_country,
    excluded_origins,
    exemptions_for,
    regime_valid_on,
)
from allocations.customs.checks.values import (
    CENT,
    format_hs_code,
    is_valid_hs_code,
    line_total,
    normalise_hs_code,
    normalise_serial,
)

__all__ = [
    "CENT",
    "CODES",
    "CONTESTED_HEADINGS",
    "COUNTABLE_UNITS",
    "ERROR",
    "MONEY_LIMIT",
    "WARNING",
    "GoodsIndex",
    "Problem",
    "check_case",
    "compared_country",
    "excluded_origins",
    "exemptions_for",
    "format_hs_code",
    "has_errors",
    "is_valid_hs_code",
    "line_total",
    "normalise_hs_code",
    "normalise_serial",
    "regime_valid_on",
]
