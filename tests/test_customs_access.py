"""Who may use each route of import cases, per role: anonymous, an applicant outside the
organisation, the organisation's owner, member and billing contact, reviewer, assessor,
call manager, finance, import desk and administrator.

The case is back with its importer for changes (submitted once, so the desk may see it,
and editable, so the importer's routes work). Importer routes answer 404 to outsiders
(ids reveal nothing) and 403 to the desk, which may look at the case but never edit it.
"""

import pytest
from django.urls import reverse

from allocations.accounts.models import MembershipRole
from allocations.customs.models import CaseState, ImportCase
from tests.conftest import ROLE_FIXTURES
from tests.factories_customs import CaseAttachmentFactory, CasePartyFactory
from tests.factories_customs_cases import NOW, add_importer, complete_case

ROLES = [*ROLE_FIXTURES, "owner", "member", "billing"]
IMPORTERS = {"owner", "member"}
DESK = {"import_desk", "admin_user"}


@pytest.fixture
def world(db):
    case = complete_case()
    ImportCase.objects.filter(pk=case.pk).update(
        state=CaseState.CHANGES_REQUESTED, submitted_at=NOW
    )
    case.refresh_from_db()
    users = {
        "owner": add_importer(case, MembershipRole.OWNER),
        "member": add_importer(case, MembershipRole.MEMBER),
        "billing": add_importer(case, MembershipRole.BILLING),
    }
    line = case.lines.get()
    return {
        "case": case,
        "users": users,
        "line": line,
        "serial": line.serials.first(),
        "supplier": case.parties.get(role="supplier"),
        "extra_party": CasePartyFactory(case=case, supplier=True, role="manufacturer"),
        "attachment": CaseAttachmentFactory(case=case, kind="other"),
    }


def _login(client, request, world, role):
    if role == "anonymous":
        return None
    user = world["users"].get(role) or request.getfixturevalue(role)
    client.force_login(user)
    return user


def _importer_routes(world):
    """name → (method, url, status for importers). Desk gets 403, others 404."""
    pk = world["case"].pk
    line, serial = world["line"].pk, world["serial"].pk
    return {
        "case_edit": ("get", reverse("customs:case_edit", args=[pk]), 200),
        # Refused with a message (the case was submitted once), never deleted here.
        "case_delete": ("post", reverse("customs:case_delete", args=[pk]), 302),
        "party_add": ("get", reverse("customs:party_add", args=[pk]), 200),
        "party_edit": (
            "get",
            reverse("customs:party_edit", args=[pk, world["supplier"].pk]),
            200,
        ),
        "party_remove": (
            "post",
            reverse("customs:party_remove", args=[pk, world["extra_party"].pk]),
            302,
        ),
        "line_add": ("get", reverse("customs:line_add", args=[pk]), 200),
        "line_edit": ("get", reverse("customs:line_edit", args=[pk, line]), 200),
        "line_remove": ("post", reverse("customs:line_remove", args=[pk, line]), 302),
        "serial_import": ("get", reverse("customs:serial_import", args=[pk]), 200),
        "serial_remove": ("post", reverse("customs:serial_remove", args=[pk, serial]), 302),
        "serials_clear": ("post", reverse("customs:serials_clear", args=[pk, line]), 302),
        "attachment_upload": ("get", reverse("customs:attachment_upload", args=[pk]), 200),
        "attachment_remove": (
            "post",
            reverse("customs:attachment_remove", args=[pk, world["attachment"].pk]),
            302,
        ),
        "case_submit": ("get", reverse("customs:case_submit", args=[pk]), 200),
        "report_create": ("get", reverse("customs:report_create", args=[pk]), 200),
    }


IMPORTER_ROUTES = [
    "case_edit",
    "case_delete",
    "party_add",
    "party_edit",
    "party_remove",
    "line_add",
    "line_edit",
    "line_remove",
    "serial_import",
    "serial_remove",
    "serials_clear",
    "attachment_upload",
    "attachment_remove",
    "case_submit",
    "report_create",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", IMPORTER_ROUTES)
def test_importer_routes_per_role(client, request, world, role, route):
    method, url, success = _importer_routes(world)[route]
    _login(client, request, world, role)
    response = getattr(client, method)(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif role in IMPORTERS:
        assert response.status_code == success
    elif role in DESK:
        assert response.status_code == 403
    else:
        assert response.status_code == 404


def _shared_routes(world):
    """name → (method, url, importer status, desk status). Others get 404."""
    pk = world["case"].pk
    return {
        "case_detail": ("get", reverse("customs:case_detail", args=[pk]), 200, 302),
        "line_serials": (
            "get",
            reverse("customs:line_serials", args=[pk, world["line"].pk]),
            200,
            200,
        ),
        "attachment_download": (
            "get",
            reverse("customs:attachment_download", args=[pk, world["attachment"].pk]),
            200,
            200,
        ),
        "comment_add": ("post", reverse("customs:comment_add", args=[pk]), 302, 302),
        "case_declare": ("get", reverse("customs:case_declare", args=[pk]), 200, 200),
        "case_release": ("get", reverse("customs:case_release", args=[pk]), 200, 200),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "route",
    [
        "case_detail",
        "line_serials",
        "attachment_download",
        "comment_add",
        "case_declare",
        "case_release",
    ],
)
def test_routes_both_sides_use_per_role(client, request, world, role, route):
    method, url, importer, desk = _shared_routes(world)[route]
    _login(client, request, world, role)
    data = {"body": "A note."} if method == "post" else None
    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif role in IMPORTERS:
        assert response.status_code == importer
    elif role in DESK:
        assert response.status_code == desk
    else:
        assert response.status_code == 404


def _desk_routes(world):
    pk = world["case"].pk
    return {
        "desk_queue": ("get", reverse("customs:desk_queue"), 200),
        "desk_case": ("get", reverse("customs:desk_case", args=[pk]), 200),
        "desk_take": ("post", reverse("customs:desk_take", args=[pk]), 302),
        "desk_request_changes": (
            "get",
            reverse("customs:desk_request_changes", args=[pk]),
            200,
        ),
        "desk_approve": ("get", reverse("customs:desk_approve", args=[pk]), 200),
        "desk_reject": ("get", reverse("customs:desk_reject", args=[pk]), 200),
        "desk_close": ("get", reverse("customs:desk_close", args=[pk]), 200),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "route",
    [
        "desk_queue",
        "desk_case",
        "desk_take",
        "desk_request_changes",
        "desk_approve",
        "desk_reject",
        "desk_close",
    ],
)
def test_desk_routes_per_role(client, request, world, role, route):
    method, url, success = _desk_routes(world)[route]
    _login(client, request, world, role)
    response = getattr(client, method)(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif role in DESK:
        assert response.status_code == success
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ["case_list", "case_create"])
def test_everyone_signed_in_sees_the_list_and_the_create_page(client, request, world, role, route):
    _login(client, request, world, role)
    response = client.get(reverse(f"customs:{route}"))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        return
    assert response.status_code == 200
    listed = world["case"].reference in response.content.decode()
    assert listed == (route == "case_list" and role in IMPORTERS)


def test_the_desk_does_not_see_drafts(client, import_desk, db):
    draft = complete_case()
    client.force_login(import_desk)
    for name in ("customs:desk_case", "customs:case_detail", "customs:desk_approve"):
        assert client.get(reverse(name, args=[draft.pk])).status_code == 404


def test_unknown_ids_are_404(client, world, import_desk):
    client.force_login(world["users"]["owner"])
    pk = world["case"].pk
    assert client.get(reverse("customs:case_detail", args=[999_999])).status_code == 404
    assert client.get(reverse("customs:line_edit", args=[pk, 999_999])).status_code == 404
    assert client.post(reverse("customs:serial_remove", args=[pk, 999_999])).status_code == 404
    download = reverse("customs:attachment_download", args=[pk, 999_999])
    assert client.get(download).status_code == 404
    client.force_login(import_desk)
    assert client.get(reverse("customs:desk_case", args=[999_999])).status_code == 404
    assert client.post(reverse("customs:desk_take", args=[999_999])).status_code == 404


def test_a_case_under_review_is_read_only_for_its_importers(client, world, import_desk):
    case = world["case"]
    ImportCase.objects.filter(pk=case.pk).update(state=CaseState.REVIEW)
    client.force_login(world["users"]["owner"])
    response = client.get(reverse("customs:case_edit", args=[case.pk]), follow=True)
    assert "it can no longer be changed" in response.content.decode()
    response = client.post(
        reverse("customs:line_remove", args=[case.pk, world["line"].pk]), follow=True
    )
    assert (
        "it is &ldquo;In review&rdquo;" in response.content.decode()
        or "it is “In review”" in response.content.decode()
    )
    assert case.lines.count() == 1
