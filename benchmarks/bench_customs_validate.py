"""Import case checks (issue 6): `check_case` on a case of 5,000 equipment lines and 40,000
serial numbers, with 20 other active cases holding 40,000 more serials (one of them
clashing), so that the cross-case serial query has a realistic table to search.

Prints customs_validate_5000_s (median of 5 runs, seconds) and the query count.
Run alone on a fresh database:
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_bench_customs \
        .venv/bin/python benchmarks/bench_customs_validate.py
"""

import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

LINES = 5_000
SERIALS_PER_LINE = 8
OTHER_CASES = 20
OTHER_LINES = 250
TODAY = date(2026, 5, 4)


def _build_case(*, reference, organisation, regime, user, lines, serials_per_line):
    from allocations.customs.models import (
        CaseAttachment,
        CaseParty,
        EquipmentLine,
        ImportCase,
        PartyRole,
        SerialNumber,
    )

    case = ImportCase.objects.create(
        organisation=organisation,
        regime=regime,
        reference=reference,
        title="Bench GPU cluster",
        currency="USD",
        planned_import_date=date(2026, 6, 1),
        contract_number="SC-1",
        created_by=user,
    )
    CaseParty.objects.bulk_create(
        [
            CaseParty(
                case=case,
                role=PartyRole.IMPORTER,
                name=organisation.legal_name,
                country="KZ",
                bin=organisation.bin,
            ),
            CaseParty(
                case=case, role=PartyRole.SUPPLIER, name="Example Systems Inc.", country="US"
            ),
        ]
    )
    codes = ["8471500000", "8473301000", "8517620009", "8544429009", "9403200000"]
    created = EquipmentLine.objects.bulk_create(
        (
            EquipmentLine(
                case=case,
                position=n,
                description="GPU server",
                manufacturer="Supermicro",
                model="SYS-821GE-TNHR",
                hs_code=codes[n % len(codes)],
                quantity=Decimal(serials_per_line),
                unit="pcs",
                unit_price=Decimal("1250.00"),
                currency="USD",
                origin_country="US",
            )
            for n in range(1, lines + 1)
        ),
        batch_size=2000,
    )
    SerialNumber.objects.bulk_create(
        (
            SerialNumber(line=line, serial=f"{reference}-{line.position}-{k}")
            for line in created
            for k in range(1, serials_per_line + 1)
        ),
        batch_size=5000,
    )
    CaseAttachment.objects.bulk_create(
        CaseAttachment(
            case=case,
            kind=kind,
            file=f"imports/bench/{kind}.pdf",
            original_name=f"{kind}.pdf",
            sha256="0" * 64,
            uploaded_by=user,
        )
        for kind in regime.required_documents
    )
    return case


def run() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from allocations.accounts.models import Organisation, OrganisationCategory, User
    from allocations.customs.checks import check_case
    from allocations.customs.models import ImportCase, PreferenceRegime, SerialNumber
    from allocations.customs.reference_data import load_reference_data
    from benchmarks.common import analyze, bench

    load_reference_data()
    regime = PreferenceRegime.objects.get(code="sez-special-investment-contract")
    user = User.objects.create_user(email="bench-customs@example.org", password="x")
    organisation = Organisation.objects.create(
        legal_name="Bench Importer LLP",
        bin="940140000385",
        country="KZ",
        category=OrganisationCategory.COMPANY,
    )
    for n in range(OTHER_CASES):
        _build_case(
            reference=f"IMP-BENCH-{n:05d}",
            organisation=organisation,
            regime=regime,
            user=user,
            lines=OTHER_LINES,
            serials_per_line=SERIALS_PER_LINE,
        )
    case = _build_case(
        reference="IMP-BENCH-MAIN",
        organisation=organisation,
        regime=regime,
        user=user,
        lines=LINES,
        serials_per_line=SERIALS_PER_LINE,
    )
    # One serial of the case already stands in another active case.
    SerialNumber.objects.filter(serial="IMP-BENCH-MAIN-100-1").update(active=False)
    SerialNumber.objects.filter(serial="IMP-BENCH-00003-5-1").update(serial="IMP-BENCH-MAIN-100-1")
    analyze()

    samples = []
    for _ in range(5):
        fresh = ImportCase.objects.get(pk=case.pk)
        start = time.perf_counter()
        problems = check_case(case=fresh, today=TODAY)
        samples.append(time.perf_counter() - start)
    with CaptureQueriesContext(connection) as queries:
        check_case(case=ImportCase.objects.get(pk=case.pk), today=TODAY)
    assert SerialNumber.objects.filter(line__case=case).count() == LINES * SERIALS_PER_LINE
    assert {p.code for p in problems} >= {"serial_in_other_case", "hs_code_contested"}
    bench("customs_validate_5000_s", f"{statistics.median(samples):.3f}", "s")
    bench("customs_validate_5000_queries", len(queries) - 1, "queries")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.common import run_standalone

    run_standalone(run)
