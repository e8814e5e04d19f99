"""Speed of the import case checks: a constant number of queries whatever the lines,
serial numbers and problems, and five thousand lines with forty thousand serial numbers
checked in seconds."""

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocations.customs.checks import check_case
from allocations.customs.models import SerialNumber
from tests.factories_customs import TODAY, codes, make_case
from tests.factories_customs import set_line as _set_line

# --- Speed and queries ---------------------------------------------------------------------


def _queries(case) -> int:
    with CaptureQueriesContext(connection) as captured:
        check_case(case=case, today=TODAY)
    return len(captured)


def test_query_count_does_not_grow_with_lines_serials_or_problems(db):
    small = make_case(lines=1, serials_per_line=1)
    large = make_case(lines=60, serials_per_line=4)
    _set_line(large, 5, hs_code="0101210000", currency="EUR")
    SerialNumber.objects.filter(line__case=large, serial__endswith="-7-1").delete()
    small = type(small).objects.get(pk=small.pk)
    large = type(large).objects.get(pk=large.pk)
    assert _queries(small) == _queries(large) <= 8


def test_five_thousand_lines_and_forty_thousand_serials_check_in_seconds(db):
    case = make_case(lines=5000, serials_per_line=8)
    other = make_case(lines=500, serials_per_line=8)  # another active case's serials
    assert SerialNumber.objects.filter(line__case=case).count() == 40_000
    # One clash and one bad code, so the work includes reporting.
    SerialNumber.objects.filter(line__case=case, serial=f"{case.reference}-4000-1").update(
        active=False
    )
    SerialNumber.objects.filter(line__case=other, serial=f"{other.reference}-1-1").update(
        serial=f"{case.reference}-4000-1"
    )
    _set_line(case, 2500, hs_code="0101210000")
    case = type(case).objects.select_related("regime", "organisation").get(pk=case.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        problems = check_case(case=case, today=TODAY)
    elapsed = time.perf_counter() - start
    assert codes(problems) == {"serial_in_other_case", "hs_code_not_in_list"}
    assert len(captured) <= 8
    assert elapsed < 5, f"check_case took {elapsed:.2f} s"
