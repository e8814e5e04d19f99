"""An import case in Chromium: the importer opens a case, fills in the contract, adds the
supplier, a line and its serial numbers, sees a check fail, fixes it and submits; the
import desk asks for changes; the importer makes them and submits again; the desk
approves and the case gets its registry number. Every page is checked with axe."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations.accounts.models import Role
from allocations.customs import tasks
from allocations.customs.models import CaseState, ImportCase
from tests.browser.conftest import assert_accessible, log_in
from tests.factories import UserFactory, make_staff
from tests.factories_accounts import make_owned_organisation
from tests.factories_customs import PreferenceRegimeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _go(page, action):
    """Do a step that navigates, then check the page it lands on."""
    with page.expect_navigation():
        action()
    assert_accessible(page)


def _main(page) -> str:
    return page.locator("main").inner_text()


def test_importer_and_desk_take_a_case_to_approval(page, live_server, monkeypatch):
    # The documents have their own tests; here the task is only sent.
    sent = []
    monkeypatch.setattr(
        tasks.generate_case_documents, "apply_async", lambda *a, **kw: sent.append(kw)
    )
    owner = UserFactory(full_name="Dana Importer")
    organisation = make_owned_organisation(owner, legal_name="Steppe Compute LLP")
    regime = PreferenceRegimeFactory(name_en="Investment contract (test)", required_documents=[])
    desk = make_staff(Role.IMPORT_DESK, full_name="Yerlan Desk")
    planned = (timezone.localdate() + timedelta(days=60)).isoformat()

    # 1. The importer opens a case.
    log_in(page, live_server, owner)
    page.goto(reverse("customs:case_list"))
    assert_accessible(page)
    _go(page, lambda: page.get_by_role("link", name="Open an import case").click())
    assert page.get_by_label("Importing organisation").input_value() == str(organisation.pk)
    page.get_by_label("Preference regime").select_option(label=regime.name_en)
    page.get_by_label("Title").fill("Second H200 rack")
    _go(page, lambda: page.get_by_role("button", name="Open the case").click())
    case = ImportCase.objects.get()
    assert case.state == CaseState.DRAFT
    assert "Add the supplier" in _main(page)

    # 2. The contract and the dates.
    _go(page, lambda: page.get_by_role("link", name="Edit the contract and dates").click())
    page.get_by_label("Contract number").fill("SC-2026/17")
    page.get_by_label("Contract date").fill("2026-03-02")
    page.get_by_label("Incoterms").select_option("DAP")
    page.get_by_label("Planned import date").fill(planned)
    page.get_by_label("Installation site").fill("Astana, Kabanbay Batyr 53")
    _go(page, lambda: page.get_by_role("button", name="Save").click())

    # 3. The supplier: a foreign party without its address is refused, then accepted.
    _go(page, lambda: page.get_by_role("link", name="Add a party").click())
    page.get_by_label("Role").select_option("supplier")
    page.get_by_label("Name").fill("Example Systems Inc.")
    page.get_by_label("Country of registration").select_option("US")
    page.get_by_label("Registration number").fill("C1234567")
    _go(page, lambda: page.get_by_role("button", name="Add the party").click())
    assert "Give the foreign party's address." in _main(page)
    page.get_by_label("Address").fill("San Jose, CA")
    _go(page, lambda: page.get_by_role("button", name="Add the party").click())
    assert "Example Systems Inc." in page.locator("#parties").inner_text()

    # 4. A line of two servers, then serial numbers (a repeated one first).
    _go(page, lambda: page.get_by_role("link", name="Add an equipment line").click())
    page.get_by_label("Description").fill("GPU server, 8 × H200")
    page.get_by_label("Manufacturer").fill("Supermicro")
    page.get_by_label("Model").fill("SYS-821GE-TNHR")
    page.get_by_label("HS code").fill("8471 50 000 0")
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Unit price").fill("250000")
    page.get_by_label("Country of origin").select_option("US")
    _go(page, lambda: page.get_by_role("button", name="Add the line").click())
    assert "Add serial numbers" in page.locator("h1").inner_text()
    page.get_by_label("Paste serial numbers").fill("sn-a\nSN-A")
    _go(page, lambda: page.get_by_role("button", name="Check and add").click())
    assert "Row 2 repeats the serial number SN-A of row 1." in _main(page)
    page.get_by_label("Paste serial numbers").fill("SN-A")
    _go(page, lambda: page.get_by_role("button", name="Check and add").click())

    # 5. A check fails: two pieces, one serial number. Submitting is not offered.
    checks = page.locator("#checks").inner_text()
    assert "2 pieces need 2 serial numbers; 1 is given" in checks
    _go(page, lambda: page.get_by_role("link", name="Check and submit").click())
    assert "cannot be submitted while a check reports an error" in _main(page)
    assert page.get_by_role("button", name="Submit to the import desk").count() == 0

    # 6. The importer fixes it and submits.
    _go(page, lambda: page.get_by_role("link", name="Back to the case").click())
    _go(page, lambda: page.get_by_role("link", name=re.compile("^Add serials")).click())
    page.get_by_label("Paste serial numbers").fill("SN-B")
    _go(page, lambda: page.get_by_role("button", name="Check and add").click())
    assert "No problems found" in page.locator("#checks").inner_text()
    _go(page, lambda: page.get_by_role("link", name="Check and submit").click())
    _go(page, lambda: page.get_by_role("button", name="Submit to the import desk").click())
    assert "is submitted" in _main(page)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    assert sent == [{"kwargs": {"case_id": case.pk}, "queue": "documents"}]

    # 7. The desk takes the case and asks for changes.
    page.context.clear_cookies()
    log_in(page, live_server, desk)
    page.goto(reverse("customs:desk_queue"))
    assert_accessible(page)
    _go(page, lambda: page.locator("main table").get_by_role("link", name=case.reference).click())
    assert "History" in _main(page)
    _go(page, lambda: page.get_by_role("button", name="Take into review").click())
    _go(page, lambda: page.get_by_role("link", name="Request changes").click())
    page.get_by_label("What must the importer fix?").fill("Name the data hall of the site.")
    _go(page, lambda: page.get_by_role("button", name="Send back to the importer").click())
    case.refresh_from_db()
    assert case.state == CaseState.CHANGES_REQUESTED

    # 8. The importer reads the request, makes the change and submits again.
    page.context.clear_cookies()
    log_in(page, live_server, owner)
    page.goto(reverse("customs:case_detail", args=[case.pk]))
    assert_accessible(page)
    assert "Name the data hall of the site." in _main(page)
    _go(page, lambda: page.get_by_role("link", name="Edit the contract and dates").click())
    page.get_by_label("Installation site").fill("Astana, Kabanbay Batyr 53, data hall 2")
    _go(page, lambda: page.get_by_role("button", name="Save").click())
    _go(page, lambda: page.get_by_role("link", name="Check and submit").click())
    _go(page, lambda: page.get_by_role("button", name="Submit to the import desk").click())
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED

    # 9. The desk approves: a registry number and a verification code.
    page.context.clear_cookies()
    log_in(page, live_server, desk)
    page.goto(reverse("customs:desk_case", args=[case.pk]))
    assert_accessible(page)
    _go(page, lambda: page.get_by_role("button", name="Take into review").click())
    _go(page, lambda: page.get_by_role("link", name="Approve").click())
    assert "No problems found" in page.locator("#checks").inner_text()
    _go(
        page,
        lambda: page.get_by_role("button", name="Approve and issue the confirmation").click(),
    )
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert case.registry_number == f"KZ-IMP-{timezone.localdate().year}-00001"
    assert case.registry_number in _main(page)
    assert "Verification code" in _main(page)

    # The importer sees the approval and what comes next.
    page.context.clear_cookies()
    log_in(page, live_server, owner)
    page.goto(reverse("customs:case_detail", args=[case.pk]))
    assert_accessible(page)
    assert case.registry_number in _main(page)
    _go(page, lambda: page.get_by_role("link", name="Record the customs declaration").click())


def test_after_approval_declaration_report_and_closing(page, live_server, monkeypatch):
    """The pages after approval, and the ones the first journey does not pass through:
    files, serial lists, declaration, use report, closing; and the page for someone
    without an organisation."""
    from allocations.customs import services
    from tests.factories_customs_cases import NOW, add_importer, complete_case

    monkeypatch.setattr(tasks.generate_case_documents, "apply_async", lambda *a, **kw: None)
    desk = make_staff(Role.IMPORT_DESK)
    case = complete_case(serial_prefix="RACK", serials_per_line=2)
    owner = add_importer(case)
    services.submit_case(actor=owner, case_id=case.pk, now=NOW)
    services.take_case(actor=desk, case_id=case.pk)
    services.approve_case(actor=desk, case_id=case.pk, now=NOW)

    log_in(page, live_server, owner)
    page.goto(reverse("customs:case_detail", args=[case.pk]))
    assert_accessible(page)
    _go(page, lambda: page.locator("#lines").get_by_role("link", name=re.compile("^2")).click())
    assert "RACK-1-2" in _main(page)
    page.goto(reverse("customs:attachment_upload", args=[case.pk]))
    assert_accessible(page)
    _go(page, lambda: page.goto(reverse("customs:case_declare", args=[case.pk])))
    page.get_by_label("Customs declaration no.").fill("55301/040526/0012345")
    page.get_by_label("Declaration date").fill(timezone.localdate().isoformat())
    _go(page, lambda: page.get_by_role("button", name="Record the declaration").click())
    _go(page, lambda: page.get_by_role("link", name="Record the release").click())
    page.get_by_label("Release date").fill(timezone.localdate().isoformat())
    _go(page, lambda: page.get_by_role("button", name="Record the release").click())
    assert "monitoring has started" in _main(page)
    _go(page, lambda: page.get_by_role("link", name="Submit a use report").first.click())
    page.get_by_label("Report").fill("Both servers run in data hall 2.")
    page.get_by_label("Serial number, row 1").fill("rack-1-2")
    page.get_by_label("Status, row 1").select_option("moved")
    page.get_by_label("Note, row 1").fill("Moved to data hall 3, same site.")
    _go(page, lambda: page.get_by_role("button", name="Submit the report").click())
    assert "is received" in _main(page)
    assert "Both servers run in data hall 2." in page.locator("#reports").inner_text()

    page.context.clear_cookies()
    log_in(page, live_server, desk)
    page.goto(reverse("customs:desk_case", args=[case.pk]))
    assert_accessible(page)
    _go(page, lambda: page.get_by_role("link", name="Close the case").click())
    page.get_by_label("Reason").fill("Monitoring period over.")
    _go(page, lambda: page.get_by_role("button", name="Close the case").click())
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    page.goto(reverse("customs:desk_reject", args=[case.pk]))
    assert_accessible(page)
    assert "This cannot be done now" in _main(page)

    page.context.clear_cookies()
    log_in(page, live_server, UserFactory())
    page.goto(reverse("customs:case_create"))
    assert_accessible(page)
    assert "Register your organisation" in _main(page)
