"""The newcomer's journey in Chromium: sign up, confirm the e-mail, register an
organisation, create a project, draft an application to an open call, attach a PDF and
submit. Every page on the way is checked with axe-core and for CSP violations."""

import re

import pytest
from django.core import mail

from allocations.applications.models import Application, ApplicationState
from allocations.core.models import AuditEvent
from tests.browser.conftest import assert_accessible
from tests.factories import CallResourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _visit_checked(page, action):
    """Do a navigation step and check the page it lands on."""
    with page.expect_navigation():
        action()
    assert_accessible(page)


def test_signup_to_submitted_application(page, tmp_path):
    capacity = CallResourceFactory(
        call__title="Startup grants 2027",
        call__slug="startup-2027",
        resource__name="H200 partition",
        capacity_gpu_hours=50_000,
    )

    # 1. Sign up.
    page.goto("/")
    assert_accessible(page)
    _visit_checked(page, lambda: page.get_by_role("link", name="Create an account").click())
    page.fill("input[name=full_name]", "Aruzhan Founder")
    page.fill("input[name=email]", "aruzhan@steppe.kz")
    page.fill("input[name=password1]", "a-Long-passphrase-2026")
    page.fill("input[name=password2]", "a-Long-passphrase-2026")
    _visit_checked(page, lambda: page.get_by_role("button", name="Sign Up").click())
    assert "verify" in page.content().lower() or "confirm" in page.content().lower()

    # 2. Confirm the e-mail through the link the portal sent.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    _visit_checked(page, lambda: page.goto(link))
    _visit_checked(page, lambda: page.get_by_role("button", name="Confirm").click())
    assert page.url.endswith("/dashboard/")

    # 3. Register an organisation (first a bad BIN, then a good one).
    _visit_checked(page, lambda: page.get_by_role("link", name="Register an organisation").click())
    page.get_by_label("Legal name").fill("Steppe Vision LLP")
    page.get_by_label("BIN").fill("961141000024")
    page.get_by_label("Category").select_option("startup")
    page.get_by_label("Address").fill("Astana, Kabanbay batyr 53")
    _visit_checked(page, lambda: page.get_by_role("button", name=re.compile("Register")).click())
    assert "check-digit" in page.content()
    assert page.get_by_label("Legal name").input_value() == "Steppe Vision LLP"
    page.get_by_label("BIN").fill("961141000023")
    _visit_checked(page, lambda: page.get_by_role("button", name=re.compile("Register")).click())
    assert page.get_by_role("heading", level=1).inner_text() == "Steppe Vision LLP"

    # 4. Create a project.
    _visit_checked(page, lambda: page.get_by_role("link", name="Projects", exact=True).click())
    _visit_checked(page, lambda: page.goto("/projects/new/"))
    page.get_by_label("Title").fill("Kazakh speech recognition")
    page.get_by_label("Abstract").fill("ASR for call centres in Kazakh and Russian.")
    _visit_checked(page, lambda: page.get_by_role("button", name=re.compile("Create")).click())

    # 5. Apply to the open call from its public page.
    _visit_checked(page, lambda: page.get_by_role("link", name="Open calls").first.click())
    _visit_checked(page, lambda: page.get_by_role("link", name="Startup grants 2027").click())
    _visit_checked(page, lambda: page.get_by_role("link", name=re.compile("Apply")).click())
    page.get_by_label("Kazakh speech recognition").check()
    _visit_checked(page, lambda: page.get_by_role("button", name=re.compile("draft|Start")).click())
    application = Application.objects.get(project__title="Kazakh speech recognition")
    assert application.state == ApplicationState.DRAFT

    # 6. Fill the draft; it saves as one types.
    page.get_by_label("GPU-hours on H200 partition").fill("12000")
    page.get_by_label("Requested start date").fill("2027-03-01")
    page.get_by_label("Duration (months)").fill("6")
    page.get_by_label("Software and data").fill("PyTorch, NeMo; 4,000 hours of audio.")
    page.get_by_label("Scientific or business justification").fill(
        "Speech models for Kazakh need pre-training on 8 nodes."
    )
    page.wait_for_function(
        "() => document.querySelector('#save-status').textContent.includes('Saved')"
    )
    application.refresh_from_db()
    assert application.justification.startswith("Speech models for Kazakh")
    assert application.requests.get().gpu_hours == 12_000
    assert_accessible(page)

    # 7. Attach a PDF.
    pdf = tmp_path / "project-plan.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    page.locator("input[type=file]").set_input_files(str(pdf))
    _visit_checked(page, lambda: page.get_by_role("button", name="Attach the file").click())
    assert application.attachments.get().original_name == "project-plan.pdf"

    # 8. Check and submit.
    _visit_checked(page, lambda: page.get_by_role("link", name="Check and submit").click())
    _visit_checked(page, lambda: page.get_by_role("button", name=re.compile("Submit")).click())
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert application.submitted_at is not None
    assert "Submitted" in page.content()
    verbs = list(
        AuditEvent.objects.filter(target_id=str(application.pk)).values_list("verb", flat=True)
    )
    assert "application.created" in verbs and "application.submitted" in verbs
    assert capacity.call.applications.count() == 1
