"""Helpers for the tests of import cases (test_customs_cases, test_customs_lines and the
workflow's test_customs_workflow, test_customs_monitoring and test_customs_workflow_pages):
an importer acting for the case's organisation, complete cases with references of their
own series, serial-number uploads, and cases moved along the workflow by the services.

Fixtures are defined under other function names than the fixtures' own (`case_owner` is
the fixture `owner`), so a test module imports `case_owner` and its tests ask for `owner`.
A test module imports the fixtures a fixture depends on too (`case_draft` needs
`case_owner`, `case_organisation` and `case_regime`).
"""

import csv
import io
import itertools
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from allocations.accounts.models import MembershipRole
from allocations.core.models import AuditEvent
from allocations.customs import services, tasks
from allocations.customs.models import ImportCase
from allocations.customs.serial_import import rows_from_text
from tests.factories import MembershipFactory, UserFactory
from tests.factories_accounts import make_owned_organisation
from tests.factories_customs import PDF_BYTES, TODAY, PreferenceRegimeFactory, make_case

NOW = timezone.make_aware(datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0))
SUPPLIER = {
    "role": "supplier",
    "name": "Example Systems Inc.",
    "country": "US",
    "bin": "",
    "registration_number": "C1234567",
    "address": "San Jose, CA",
}
LINE = {
    "description": "GPU server, 8 × H200",
    "manufacturer": "Supermicro",
    "model": "SYS-821GE-TNHR",
    "hs_code": "8471 50 000 0",
    "quantity": Decimal("2"),
    "unit": "pcs",
    "unit_price": Decimal("250000.00"),
    "currency": "USD",
    "origin_country": "US",
    "is_datacentre_gpu": False,
    "export_licence_number": "",
}


# --- Shared helpers --------------------------------------------------------------------


def add_importer(case, role=MembershipRole.OWNER, user=None):
    """A user acting for the case's organisation in `role`."""
    user = user or UserFactory()
    MembershipFactory(organisation=case.organisation, user=user, role=role)
    return user


_references = itertools.count(1)


def complete_case(**kwargs):
    """make_case() with a reference of its own series, so that it never meets the
    references the services hand out (IMP-<year>-<n>)."""
    kwargs.setdefault("reference", f"IMP-F-{next(_references):06d}")
    return make_case(**kwargs)


def importer_case(**kwargs):
    """A complete case (passes every check) with an owner: (case, owner)."""
    case = complete_case(**kwargs)
    return case, add_importer(case)


def pasted(text):
    return rows_from_text(text)


def csv_upload(rows, name="serials.csv", encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(rows, name="serials.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def pdf(name="contract.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def events(verb):
    return AuditEvent.objects.filter(verb=verb).order_by("id")


# --- Fixtures ----------------------------------------------------------------------------


@pytest.fixture(name="owner")
def case_owner(db):
    return UserFactory()


@pytest.fixture(name="organisation")
def case_organisation(owner):
    return make_owned_organisation(owner)


@pytest.fixture(name="regime")
def case_regime(db):
    return PreferenceRegimeFactory()


@pytest.fixture(name="draft")
def case_draft(owner, organisation, regime):
    return services.create_case(
        actor=owner,
        organisation_id=organisation.pk,
        regime_id=regime.pk,
        title="Second H200 rack",
        now=NOW,
    )


@pytest.fixture(name="line")
def case_line(owner, draft):
    return services.add_line(actor=owner, case_id=draft.pk, values=LINE)


# --- Along the workflow ----------------------------------------------------------------------


@pytest.fixture(name="documents_sent")
def case_documents_sent(monkeypatch):
    """Calls of the documents task (never run here: the documents have their own tests)."""
    calls = []
    monkeypatch.setattr(
        tasks.generate_case_documents, "apply_async", lambda *a, **kw: calls.append(kw)
    )
    return calls


def verbs(case):
    return list(
        AuditEvent.objects.filter(target_id=str(case.pk), verb__startswith="import_case.")
        .order_by("id")
        .values_list("verb", "from_state", "to_state")
    )


def state_of(case):
    return ImportCase.objects.values_list("state", flat=True).get(pk=case.pk)


def submitted(**kwargs):
    case, owner = importer_case(**kwargs)
    services.submit_case(actor=owner, case_id=case.pk, now=NOW)
    return case, owner


def in_review(desk, **kwargs):
    case, owner = submitted(**kwargs)
    services.take_case(actor=desk, case_id=case.pk)
    return case, owner


def approved(desk, now=NOW, **kwargs):
    case, owner = in_review(desk, **kwargs)
    services.approve_case(actor=desk, case_id=case.pk, now=now)
    case.refresh_from_db()
    return case, owner


def monitored(desk, **kwargs):
    case, owner = approved(desk, **kwargs)
    services.record_declaration(
        actor=owner,
        case_id=case.pk,
        declaration_number="55301/040526/0012345",
        declaration_date=TODAY,
        release_date=TODAY,
        now=NOW,
    )
    case.refresh_from_db()
    return case, owner
