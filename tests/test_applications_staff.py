"""The staff list (filters, search, paging, constant queries) and the staff record."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allocations.accounts.models import OrganisationCategory
from allocations.applications import services
from allocations.applications.models import ApplicationState
from allocations.calls.models import Track
from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    ProjectFactory,
    ResourceRequestFactory,
    UserFactory,
)
from tests.factories_applications import call_with_resources, draft_for, make_attachment

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _submitted(
    *, call, organisation, pi, title, state=ApplicationState.SUBMITTED, age=0, hours=(1000,)
):
    project = ProjectFactory(organisation=organisation, pi=pi, title=title)
    application = ApplicationFactory(
        project=project,
        call=call,
        state=state,
        submitted_at=timezone.now() - timedelta(hours=age),
    )
    for capacity, amount in zip(call.capacities.all(), hours, strict=False):
        ResourceRequestFactory(
            application=application, resource=capacity.resource, gpu_hours=amount
        )
    return application


@pytest.fixture
def catalogue(db):
    """Four submitted applications differing in call, track, state and organisation."""
    startup_call, _ = call_with_resources(title="Startup call", track=Track.STARTUP)
    academic_call, _ = call_with_resources(title="Academic call", track=Track.ACADEMIC)
    startup_org = OrganisationFactory(
        legal_name="Qazaq Robotics LLP", bin="940140000385", category=OrganisationCategory.STARTUP
    )
    university = OrganisationFactory(
        legal_name="Steppe University", bin="950341000052", category=OrganisationCategory.UNIVERSITY
    )
    alice = UserFactory(email="alice@robotics.kz")
    bob = UserFactory(email="bob@steppe.edu.kz")
    return {
        "robots": _submitted(
            call=startup_call,
            organisation=startup_org,
            pi=alice,
            title="Robot arms",
            age=3,
            hours=(1000, 500),
        ),
        "vision": _submitted(
            call=startup_call,
            organisation=startup_org,
            pi=alice,
            title="Vision models",
            state=ApplicationState.SCREENING,
            age=2,
        ),
        "llm": _submitted(
            call=academic_call,
            organisation=university,
            pi=bob,
            title="Kazakh LLM",
            state=ApplicationState.PEER_REVIEW,
            age=1,
        ),
        "climate": _submitted(
            call=academic_call,
            organisation=university,
            pi=bob,
            title="Climate downscaling",
            state=ApplicationState.WITHDRAWN,
        ),
        "draft": draft_for(
            bob,
            call=academic_call,
            project=ProjectFactory(organisation=university, pi=bob, title="Secret draft"),
        ),
        "startup_call": startup_call,
    }


def _titles(client, **params):
    response = client.get(reverse("applications:staff_list"), params)
    assert response.status_code == 200
    content = response.content.decode()
    return {
        t
        for t in (
            "Robot arms",
            "Vision models",
            "Kazakh LLM",
            "Climate downscaling",
            "Secret draft",
        )
        if t in content
    }


def test_list_shows_submitted_only_with_totals(client, call_manager, catalogue):
    client.force_login(call_manager)
    content = client.get(reverse("applications:staff_list")).content.decode()
    assert _titles(client) == {"Robot arms", "Vision models", "Kazakh LLM", "Climate downscaling"}
    assert catalogue["robots"].reference in content
    assert "1,500" in content  # 1000 + 500 GPU-hours summed per application
    assert "Qazaq Robotics LLP" in content


def test_filters(client, assessor, catalogue):
    client.force_login(assessor)
    assert _titles(client, call=catalogue["startup_call"].pk) == {"Robot arms", "Vision models"}
    assert _titles(client, state="peer_review") == {"Kazakh LLM"}
    assert _titles(client, track="academic") == {"Kazakh LLM", "Climate downscaling"}
    assert _titles(client, category="startup") == {"Robot arms", "Vision models"}
    assert _titles(client, category="university", state="withdrawn") == {"Climate downscaling"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("robot arms", {"Robot arms"}),
        ("robotics", {"Robot arms", "Vision models"}),
        ("steppe univ", {"Kazakh LLM", "Climate downscaling"}),
        ("940140000385", {"Robot arms", "Vision models"}),
        ("bob@steppe", {"Kazakh LLM", "Climate downscaling"}),
    ],
)
def test_search_by_text(client, admin_user, catalogue, query, expected):
    client.force_login(admin_user)
    assert _titles(client, q=query) == expected


def test_search_by_reference_and_number(client, call_manager, catalogue):
    client.force_login(call_manager)
    llm = catalogue["llm"]
    assert _titles(client, q=llm.reference) == {"Kazakh LLM"}
    assert _titles(client, q=llm.reference.lower()) == {"Kazakh LLM"}
    assert _titles(client, q=str(llm.pk)) == {"Kazakh LLM"}
    # A draft is not found even by its own reference.
    assert _titles(client, q=catalogue["draft"].reference) == set()


def test_ordering_by_submission_time(client, call_manager, catalogue):
    client.force_login(call_manager)
    newest = client.get(reverse("applications:staff_list")).content.decode()
    oldest = client.get(reverse("applications:staff_list"), {"order": "submitted"}).content.decode()
    assert newest.index("Climate downscaling") < newest.index("Robot arms")
    assert oldest.index("Robot arms") < oldest.index("Climate downscaling")


def test_invalid_filter_shows_error_not_500(client, call_manager, catalogue):
    client.force_login(call_manager)
    response = client.get(reverse("applications:staff_list"), {"state": "draft", "call": "x"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_htmx_request_gets_the_table_region_only(client, call_manager, catalogue):
    client.force_login(call_manager)
    url = reverse("applications:staff_list")
    partial = client.get(url, {"q": "robot arms"}, **HTMX).content.decode()
    assert partial.lstrip().startswith('<section id="results"')
    assert "<html" not in partial and "Robot arms" in partial and "Kazakh LLM" not in partial
    restore = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()
    full = client.get(url).content.decode()
    assert 'method="get"' in full and f'action="{url}"' in full


def _many(count, call, organisation, pi):
    for i in range(count):
        _submitted(
            call=call,
            organisation=organisation,
            pi=pi,
            title=f"Bulk {i}",
            age=i,
            hours=(100 + i, 7),
        )


def _count_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("applications:staff_list"), params)
    assert response.status_code == 200
    return len(queries)


def test_constant_number_of_queries(client, call_manager):
    call, _ = call_with_resources()
    organisation = OrganisationFactory(foreign=True)
    pi = UserFactory()
    _many(5, call, organisation, pi)
    client.force_login(call_manager)
    client.get(reverse("applications:staff_list"))  # warm the session and content types
    few = _count_queries(client)
    few_filtered = _count_queries(client, q="bulk", track="startup")
    _many(55, call, organisation, pi)
    assert _count_queries(client) == few
    assert _count_queries(client, q="bulk", track="startup") == few_filtered
    assert _count_queries(client, page=2) == few


def test_pagination_fifty_per_page(client, call_manager):
    call, _ = call_with_resources()
    _many(60, call, OrganisationFactory(foreign=True), UserFactory())
    client.force_login(call_manager)
    first = client.get(reverse("applications:staff_list")).content.decode()
    second = client.get(reverse("applications:staff_list"), {"page": 2}).content.decode()
    assert first.count("badge state-") == 50
    assert second.count("badge state-") == 10
    assert "60 applications" in first
    assert "page=2" in first and "Page 2 of 2" in second
    beyond = client.get(reverse("applications:staff_list"), {"page": 99})
    assert beyond.status_code == 200


def test_staff_detail_shows_everything_and_the_timeline(
    client, applicant, call_manager, django_capture_on_commit_callbacks
):
    application = draft_for(applicant, justification="Because science")
    attachment = make_attachment(application, name="budget.pdf")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_application(actor=applicant, application_id=application.pk, now=now)
        services.withdraw_application(
            actor=applicant, application_id=application.pk, reason="Funding moved"
        )
    client.force_login(call_manager)
    response = client.get(reverse("applications:staff_detail", args=[application.pk]))
    content = response.content.decode()
    assert "Because science" in content
    assert "budget.pdf" in content
    assert (
        reverse("applications:attachment_download", args=[application.pk, attachment.pk]) in content
    )
    assert "application.submitted" in content and "application.withdrawn" in content
    assert "Draft → Submitted" in content and "Submitted → Withdrawn" in content
    assert "Funding moved" in content
    assert str(applicant) in content
    assert content.index("application.submitted") < content.index("application.withdrawn")
