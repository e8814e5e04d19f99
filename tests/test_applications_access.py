"""Who may use which route of the applications area, per role and per ownership."""

import pytest
from django.urls import reverse

from allocations.applications.models import ApplicationState
from tests.conftest import ROLE_FIXTURES
from tests.factories import UserFactory
from tests.factories_applications import draft_for, make_attachment

STAFF_VIEWERS = {"assessor", "call_manager", "admin_user"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def draft(owner):
    application = draft_for(owner)
    application.attachment = make_attachment(application)
    return application


@pytest.fixture
def submitted(owner):
    application = draft_for(owner, submitted=True)
    application.attachment = make_attachment(application)
    return application


def _routes(draft):
    """(method, url) of every route that acts on someone else's project or application."""
    project, pk = draft.project, draft.pk
    pi_member = project.members.get()
    return [
        ("get", reverse("applications:project_detail", args=[project.pk])),
        ("get", reverse("applications:project_edit", args=[project.pk])),
        ("get", reverse("applications:project_team", args=[project.pk])),
        ("post", reverse("applications:project_member_remove", args=[project.pk, pi_member.pk])),
        ("get", reverse("applications:application_detail", args=[pk])),
        ("get", reverse("applications:application_edit", args=[pk])),
        ("post", reverse("applications:application_autosave", args=[pk])),
        ("get", reverse("applications:application_submit", args=[pk])),
        ("get", reverse("applications:application_withdraw", args=[pk])),
        ("post", reverse("applications:attachment_upload", args=[pk])),
        ("get", reverse("applications:attachment_download", args=[pk, draft.attachment.pk])),
        ("post", reverse("applications:attachment_delete", args=[pk, draft.attachment.pk])),
    ]


def _assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize("route", ["project_list", "project_create"])
def test_own_project_pages_per_role(client_as, role, route):
    client, _user = client_as(role)
    response = client.get(reverse(f"applications:{route}"))
    if role == "anonymous":
        _assert_login_redirect(response)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_application_start_per_role(client_as, role, draft):
    client, _user = client_as(role)
    response = client.get(reverse("applications:application_start", args=[draft.call.slug]))
    if role == "anonymous":
        _assert_login_redirect(response)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_someone_elses_objects_per_role(client_as, role, draft):
    """Nobody but the team reaches a project or application: staff roles included."""
    client, _user = client_as(role)
    for method, url in _routes(draft):
        response = getattr(client, method)(url)
        if role == "anonymous":
            _assert_login_redirect(response)
        else:
            assert response.status_code == 404, (method, url)
    draft.refresh_from_db()
    assert draft.attachments.count() == 1
    assert draft.project.members.count() == 1


def test_owner_reaches_every_route_and_other_applicant_does_not(
    client, owner, draft, other_applicant
):
    client.force_login(other_applicant)
    for method, url in _routes(draft):
        assert getattr(client, method)(url).status_code == 404, url
    client.force_login(owner)
    for method, url in _routes(draft):
        if method == "get":
            assert getattr(client, method)(url).status_code == 200, url


def test_plain_team_member_may_look_but_not_act(client, draft, applicant):
    from tests.factories_applications import add_to_team

    add_to_team(draft.project, applicant)
    client.force_login(applicant)
    assert (
        client.get(reverse("applications:application_detail", args=[draft.pk])).status_code == 200
    )
    assert (
        client.get(reverse("applications:project_detail", args=[draft.project.pk])).status_code
        == 200
    )
    for name in ("application_edit", "application_submit", "application_withdraw"):
        assert client.get(reverse(f"applications:{name}", args=[draft.pk])).status_code == 403
    assert (
        client.post(reverse("applications:application_autosave", args=[draft.pk])).status_code
        == 403
    )
    assert (
        client.get(reverse("applications:project_edit", args=[draft.project.pk])).status_code == 403
    )


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_staff_list_per_role(client_as, role, submitted):
    client, _user = client_as(role)
    response = client.get(reverse("applications:staff_list"))
    if role == "anonymous":
        _assert_login_redirect(response)
    elif role in STAFF_VIEWERS:
        assert response.status_code == 200
        assert submitted.reference in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_staff_detail_per_role(client_as, role, submitted):
    client, _user = client_as(role)
    response = client.get(reverse("applications:staff_detail", args=[submitted.pk]))
    if role == "anonymous":
        _assert_login_redirect(response)
    elif role in STAFF_VIEWERS:
        assert response.status_code == 200
        assert submitted.project.title in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_attachment_download_of_submitted_application_per_role(client_as, role, submitted):
    client, _user = client_as(role)
    url = reverse("applications:attachment_download", args=[submitted.pk, submitted.attachment.pk])
    response = client.get(url)
    if role == "anonymous":
        _assert_login_redirect(response)
    elif role in STAFF_VIEWERS:
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ["assessor", "call_manager", "admin_user"])
def test_staff_never_see_drafts(client_as, role, draft):
    client, _user = client_as(role)
    assert client.get(reverse("applications:staff_detail", args=[draft.pk])).status_code == 404
    response = client.get(reverse("applications:staff_list"))
    assert draft.reference not in response.content.decode()


def test_withdrawn_draft_stays_invisible_to_staff(client, owner, draft, call_manager):
    draft.state = ApplicationState.WITHDRAWN
    draft.save()
    client.force_login(call_manager)
    assert client.get(reverse("applications:staff_detail", args=[draft.pk])).status_code == 404
    assert draft.reference not in client.get(reverse("applications:staff_list")).content.decode()


def test_unknown_ids_are_404(client, applicant):
    client.force_login(applicant)
    assert client.get(reverse("applications:application_detail", args=[999999])).status_code == 404
    assert client.get(reverse("applications:project_detail", args=[999999])).status_code == 404
    assert client.get(reverse("applications:application_start", args=["nope"])).status_code == 404
