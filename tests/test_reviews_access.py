"""Who may use which route of the reviews area: every route, every role, owner vs others."""

import pytest
from django.urls import reverse

from allocations.applications.models import ApplicationState
from allocations.reviews.models import AssignmentState
from tests.conftest import ROLE_FIXTURES
from tests.factories import UserFactory
from tests.factories_applications import make_attachment
from tests.factories_reviews import (
    application_in,
    assignment_for,
    cleared_assignment,
    ensure_profile,
    pool_member,
    reply_window,
)

pytestmark = pytest.mark.django_db

REVIEWERS = {"reviewer", "admin_user"}
ASSESSORS = {"assessor", "admin_user"}
MANAGERS = {"call_manager", "admin_user"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def _check(response, role, allowed):
    if role == "anonymous":
        assert _is_login_redirect(response)
    elif role in allowed:
        assert response.status_code in (200, 302), response.status_code
        assert not _is_login_redirect(response)
    else:
        assert response.status_code == 403


@pytest.fixture
def world(reviewer):
    """An application in peer review with the reviewer fixture cleared on it."""
    application = application_in(ApplicationState.PEER_REVIEW)
    ensure_profile(reviewer)
    assignment = cleared_assignment(application, reviewer)
    attachment = make_attachment(application)
    return application, assignment, attachment


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("reviews:my_reviews", REVIEWERS),
        ("reviews:my_expertise", REVIEWERS),
        ("reviews:assessment_queue", ASSESSORS),
        ("reviews:pool", MANAGERS),
        ("reviews:staff_overview", MANAGERS),
    ],
)
def test_list_pages_per_role(client_as, role, name, allowed):
    client, _user = client_as(role)
    response = client.get(reverse(name))
    _check(response, role, allowed)
    if role in allowed:
        assert response.status_code == 200


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_staff_pages_of_one_application_per_role(client_as, role, world):
    application, assignment, _attachment = world
    client, _user = client_as(role)
    profile = ensure_profile(assignment.reviewer)
    for name, args, allowed in [
        ("reviews:assessment", [application.pk], ASSESSORS),
        ("reviews:manage", [application.pk], MANAGERS),
        ("reviews:pool_edit", [profile.pk], MANAGERS),
    ]:
        response = client.get(reverse(name, args=args))
        _check(response, role, allowed)
        if role in allowed:
            assert response.status_code == 200, name


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_staff_actions_per_role(client_as, role, world):
    """Posts without valid data: allowed roles get the form back, nothing changes."""
    application, assignment, _attachment = world
    client, _user = client_as(role)
    for name, args, allowed in [
        ("reviews:assessment", [application.pk], ASSESSORS),
        ("reviews:pool", [], MANAGERS),
        ("reviews:assign", [application.pk], MANAGERS),
        ("reviews:withdraw", [assignment.pk], MANAGERS),
        ("reviews:close_review_phase", [application.pk], MANAGERS),
        ("reviews:close_reply", [application.pk], MANAGERS),
    ]:
        _check(client.post(reverse(name, args=args), {}), role, allowed)
    assignment.refresh_from_db()
    application.refresh_from_db()
    assert assignment.state == AssignmentState.ACCEPTED
    assert application.state == ApplicationState.PEER_REVIEW


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_assignment_routes_only_for_the_assigned_reviewer(client_as, role, world):
    """Another reviewer (even an administrator) gets 404; non-reviewers 403."""
    _application, assignment, attachment = world
    client, _user = client_as(role)
    routes = [
        ("get", reverse("reviews:assignment", args=[assignment.pk])),
        ("get", reverse("reviews:attachment", args=[assignment.pk, attachment.pk])),
        ("post", reverse("reviews:accept", args=[assignment.pk])),
        ("post", reverse("reviews:decline", args=[assignment.pk])),
        ("post", reverse("reviews:declare", args=[assignment.pk])),
        ("post", reverse("reviews:review_save", args=[assignment.pk])),
    ]
    for method, url in routes:
        response = getattr(client, method)(url)
        if role == "anonymous":
            assert _is_login_redirect(response), url
        elif role == "reviewer":
            assert response.status_code in (200, 302), url
        elif role in REVIEWERS:
            assert response.status_code == 404, url
        else:
            assert response.status_code == 403, url
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.ACCEPTED


def test_another_reviewer_gets_404_on_every_assignment_route(client, world):
    _application, assignment, attachment = world
    other = pool_member()
    client.force_login(other)
    assert client.get(reverse("reviews:assignment", args=[assignment.pk])).status_code == 404
    assert (
        client.get(reverse("reviews:attachment", args=[assignment.pk, attachment.pk])).status_code
        == 404
    )
    assert client.post(reverse("reviews:review_save", args=[assignment.pk])).status_code == 404


def test_unknown_ids_are_404(client_as, world):
    client, _user = client_as("admin_user")
    for name in ("reviews:assessment", "reviews:manage", "reviews:pool_edit", "reviews:reply"):
        assert client.get(reverse(name, args=[999_999])).status_code == 404, name
    assert client.post(reverse("reviews:withdraw", args=[999_999]), {}).status_code == 404


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_reply_pages_only_for_the_team(client_as, role):
    owner = UserFactory()
    application = application_in(ApplicationState.REPLY, pi=owner)
    reply_window(application)
    client, user = client_as(role)
    for method in ("get", "post"):
        url = reverse(
            "reviews:reply" if method == "get" else "reviews:reply_submit", args=[application.pk]
        )
        response = getattr(client, method)(url)
        if role == "anonymous":
            assert _is_login_redirect(response)
        else:
            assert response.status_code == 404
    client.force_login(owner)
    assert client.get(reverse("reviews:reply", args=[application.pk])).status_code == 200


def test_reply_owner_versus_other_applicant(client, applicant, other_applicant):
    application = application_in(ApplicationState.REPLY, pi=applicant)
    reply_window(application)
    client.force_login(other_applicant)
    assert client.get(reverse("reviews:reply", args=[application.pk])).status_code == 404
    response = client.post(reverse("reviews:reply_submit", args=[application.pk]), {"text": "x"})
    assert response.status_code == 404
    client.force_login(applicant)
    response = client.post(reverse("reviews:reply_submit", args=[application.pk]), {"text": "x"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.PANEL


def test_reviewer_attachment_refused_before_declaration(client, reviewer, applicant):
    application = application_in(ApplicationState.PEER_REVIEW, pi=applicant)
    assignment = assignment_for(application, reviewer, state=AssignmentState.ACCEPTED)
    attachment = make_attachment(application)
    client.force_login(reviewer)
    url = reverse("reviews:attachment", args=[assignment.pk, attachment.pk])
    assert client.get(url).status_code == 403
    # The applications area's own download stays closed to reviewers.
    url = reverse("applications:attachment_download", args=[application.pk, attachment.pk])
    assert client.get(url).status_code == 404


def test_cleared_reviewer_downloads_the_attachment(client, world, reviewer):
    _application, assignment, attachment = world
    client.force_login(reviewer)
    response = client.get(reverse("reviews:attachment", args=[assignment.pk, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
