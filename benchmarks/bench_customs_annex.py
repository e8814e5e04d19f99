"""The equipment annex of a big import case: 5,000 lines with 40,000 serial numbers
(issue 6). Times the annex as PDF and XLSX together (what submission renders), and the
case's checks followed by the annex (the aim: under 10 s together).

Run alone (creates and migrates the database in DATABASE_URL, like benchmarks/run.py):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_bench \
        .venv/bin/python benchmarks/bench_customs_annex.py
"""

import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

LINES = 5_000
SERIALS_PER_LINE = 8
BIN = "940140000385"

# A realistic mix of data-centre goods: (HS code, description, manufacturer, model, price).
GOODS = [
    (
        "8471500000",
        "GPU server, 8 × NVIDIA H200 141 GB, 2 × Xeon 8480+",
        "Supermicro",
        "SYS-821GE-TNHR",
        "310000.00",
    ),
    ("8473302000", "GPU baseboard HGX H200 8-GPU", "NVIDIA", "935-24287-0000-000", "240000.00"),
    ("8471700000", "All-flash storage node, 24 × 15.36 TB NVMe", "DDN", "AI400X2", "185000.00"),
    ("8517620000", "Ethernet switch 64 × 400G", "NVIDIA", "SN5600", "48000.00"),
    ("8544429000", "Optical cable assembly, 400G, 30 m", "NVIDIA", "MFA7U10-H030", "1150.00"),
    (
        "8504403000",
        "Uninterruptible power supply 500 kVA",
        "Schneider Electric",
        "Galaxy VX",
        "96000.00",
    ),
    ("9403200000", "Server rack 48U, 800 × 1200 mm", "Rittal", "VX IT 5356.140", "2400.00"),
]
ORIGINS = ["CN", "TW", "US", "MY", "MX", "DE"]


def _seed():
    from allocations.accounts.models import Organisation, OrganisationCategory, User
    from allocations.customs.models import (
        CaseParty,
        CaseState,
        EquipmentLine,
        ImportCase,
        PartyRole,
        PreferenceRegime,
        RegimeGoodsItem,
        SerialNumber,
    )

    user = User.objects.create_user(email="bench-customs@example.org", password="x" * 16)
    organisation, _created = Organisation.objects.get_or_create(
        bin=BIN,
        defaults={
            "legal_name": "Bench Data Centre LLP",
            "category": OrganisationCategory.COMPANY,
            "country": "KZ",
            "address": "Astana, Mangilik El 55/20",
        },
    )
    regime = PreferenceRegime.objects.create(
        code="bench-investment-contract",
        name_en="Investment contract (bench)",
        name_ru="Инвестиционный контракт (бенчмарк)",
        name_kk="Инвестициялық келісімшарт (бенчмарк)",
        legal_basis="Entrepreneurial Code of the Republic of Kazakhstan, Article 286",
        exempts_duty=True,
        exempts_vat=True,
        authority="Investment Committee of the Ministry of Foreign Affairs",
        valid_from=date(2025, 1, 1),
    )
    RegimeGoodsItem.objects.bulk_create(
        RegimeGoodsItem(regime=regime, hs_prefix=hs[:6], item_number=str(i + 1), description=d)
        for i, (hs, d, *_rest) in enumerate(GOODS)
    )
    case = ImportCase.objects.create(
        organisation=organisation,
        regime=regime,
        reference="IMP-2026-99999",
        title="National AI supercomputer, phase 2",
        state=CaseState.SUBMITTED,
        contract_number="SC-2026/17",
        contract_date=date(2026, 3, 2),
        incoterms="DAP",
        currency="USD",
        planned_import_date=date(2026, 9, 1),
        installation_site="Astana, Kabanbay Batyr 53, data hall 2",
        created_by=user,
    )
    CaseParty.objects.bulk_create(
        [
            CaseParty(
                case=case,
                role=PartyRole.IMPORTER,
                name=organisation.legal_name,
                country="KZ",
                bin=BIN,
                address=organisation.address,
            ),
            CaseParty(
                case=case,
                role=PartyRole.SUPPLIER,
                name="Example Systems Inc.",
                country="US",
                registration_number="C-4471-22",
                address="San Jose, CA",
            ),
        ]
    )
    lines = EquipmentLine.objects.bulk_create(
        (
            EquipmentLine(
                case=case,
                position=position,
                description=GOODS[position % len(GOODS)][1],
                manufacturer=GOODS[position % len(GOODS)][2],
                model=GOODS[position % len(GOODS)][3],
                hs_code=GOODS[position % len(GOODS)][0],
                quantity=Decimal(SERIALS_PER_LINE),
                unit="pcs",
                unit_price=Decimal(GOODS[position % len(GOODS)][4]),
                currency="USD",
                origin_country=ORIGINS[position % len(ORIGINS)],
            )
            for position in range(1, LINES + 1)
        ),
        batch_size=2_000,
    )
    SerialNumber.objects.bulk_create(
        (
            SerialNumber(line=line, serial=f"S{line.position:05d}N{n:02d}X7QK")
            for line in lines
            for n in range(1, SERIALS_PER_LINE + 1)
        ),
        batch_size=10_000,
    )
    return case


def run() -> None:
    from django.utils import timezone

    from allocations.customs import documents
    from allocations.customs.checks import check_case
    from benchmarks.common import analyze, bench

    case = _seed()
    analyze()
    documents.annex_pdf(case.__class__.objects.get(pk=case.pk), language="ru")  # warm fonts
    start = time.perf_counter()
    pdf = documents.annex_pdf(case)
    middle = time.perf_counter()
    xlsx = documents.annex_xlsx(case)
    annex_s = time.perf_counter() - start
    print(
        f"# annex: PDF {middle - start:.2f} s ({len(pdf) // 1024} KiB), "
        f"XLSX {time.perf_counter() - middle:.2f} s ({len(xlsx) // 1024} KiB)",
        flush=True,
    )
    bench("customs_annex_5000_s", round(annex_s, 2), "s")
    start = time.perf_counter()
    problems = check_case(case=case, today=timezone.localdate())
    documents.annex_pdf(case)
    documents.annex_xlsx(case)
    total_s = time.perf_counter() - start
    errors = [problem.code for problem in problems if problem.is_error]
    print(f"# checks found {len(problems)} problems, errors: {sorted(set(errors))}", flush=True)
    bench("customs_check_and_annex_5000_s", round(total_s, 2), "s")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.common import run_standalone

    run_standalone(run)
