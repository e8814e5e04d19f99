"""Who may use which awards route: every route per role, owners versus other applicants,
and unknown ids."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from allocations.applications.models import ApplicationState
from allocations.awards import services
from allocations.awards.models import Allocation, Decision
from tests.conftest import ROLE_FIXTURES
from tests.factories import UserFactory
from tests.factories_applications import add_to_team
from tests.factories_awards import (  # noqa: F401  (fixtures)
    FAKE_PDF,
    application_at,
    call_with_capacity,
    fast_passwords,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")

DECIDERS = {"call_manager", "admin_user"}
VIEWERS = {"assessor", "call_manager", "admin_user"}


@pytest.fixture
def world(db, call_manager):
    call, _rows = call_with_capacity(capacities=(50_000,))
    submitted = application_at(call, state=ApplicationState.SUBMITTED)
    on_panel = application_at(call)
    approved = application_at(call)
    start = timezone.localdate() + timedelta(days=30)
    services.decide(
        actor=call_manager,
        application_id=approved.pk,
        outcome="approved",
        reason="Funded.",
        amounts={approved.requests.get().resource_id: 500},
        start_date=start,
        end_date=start + timedelta(days=90),
        now=timezone.now(),
    )
    decision = Decision.objects.get(application=approved)
    decision.letter.save("letter.pdf", ContentFile(FAKE_PDF))
    member = UserFactory()
    add_to_team(approved.project, member)
    return {
        "call": call,
        "submitted": submitted,
        "on_panel": on_panel,
        "approved": approved,
        "allocation": Allocation.objects.get(application=approved),
        "member": member,
    }


def _staff_routes(world):
    call, allocation = world["call"], world["allocation"]
    return {
        "call_list": ("get", reverse("awards:call_list"), DECIDERS),
        "screening_queue": ("get", reverse("awards:screening_queue", args=[call.pk]), DECIDERS),
        "screen": ("get", reverse("awards:screen", args=[world["submitted"].pk]), DECIDERS),
        "panel": ("get", reverse("awards:panel", args=[call.pk]), DECIDERS),
        "panel_entry": (
            "post",
            reverse("awards:panel_entry", args=[world["on_panel"].pk]),
            DECIDERS,
        ),
        "decide": ("get", reverse("awards:decide", args=[world["on_panel"].pk]), DECIDERS),
        "allocation_close": (
            "get",
            reverse("awards:allocation_close", args=[allocation.pk]),
            DECIDERS,
        ),
        "decision_list": ("get", reverse("awards:decision_list", args=[call.pk]), VIEWERS),
        "staff_allocation_list": ("get", reverse("awards:staff_allocation_list"), VIEWERS),
    }


STAFF_ROUTE_NAMES = [
    "call_list",
    "screening_queue",
    "screen",
    "panel",
    "panel_entry",
    "decide",
    "allocation_close",
    "decision_list",
    "staff_allocation_list",
]


def _assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize("route", STAFF_ROUTE_NAMES)
def test_staff_routes_per_role(client_as, world, role, route):
    method, url, allowed = _staff_routes(world)[route]
    client, _user = client_as(role)
    data = {"position": "2", "page": "1"} if method == "post" else None
    response = getattr(client, method)(url, data)
    if role == "anonymous":
        _assert_login_redirect(response)
    elif role in allowed:
        assert response.status_code == (302 if method == "post" else 200)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        reverse("awards:screening_queue", args=[999_999]),
        reverse("awards:screen", args=[999_999]),
        reverse("awards:panel", args=[999_999]),
        reverse("awards:decide", args=[999_999]),
        reverse("awards:decision_list", args=[999_999]),
        reverse("awards:allocation_close", args=[999_999]),
        reverse("awards:allocation_detail", args=[999_999]),
        reverse("awards:allocation_decline", args=[999_999]),
        reverse("awards:letter_download", args=[999_999]),
    ],
)
def test_unknown_ids_are_404(client, admin_user, url):
    client.force_login(admin_user)
    assert client.get(url).status_code == 404


def test_drafts_are_not_screenable_or_decidable(client, call_manager, world):
    draft = application_at(world["call"], state=ApplicationState.DRAFT, submitted_at=None)
    client.force_login(call_manager)
    assert client.get(reverse("awards:screen", args=[draft.pk])).status_code == 404
    assert client.get(reverse("awards:decide", args=[draft.pk])).status_code == 404


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_own_awards_page_per_role(client_as, world, role):
    client, _user = client_as(role)
    response = client.get(reverse("awards:allocation_list"))
    if role == "anonymous":
        _assert_login_redirect(response)
    else:
        assert response.status_code == 200
        assert world["allocation"].slurm_account not in response.content.decode()


TEAM_ROUTES = {
    # route: {who: expected status}
    "allocation_detail": {
        "pi": 200,
        "member": 200,
        "applicant": 404,
        "reviewer": 404,
        "assessor": 200,
        "call_manager": 200,
        "finance": 404,
        "import_desk": 404,
        "admin_user": 200,
    },
    "allocation_decline": {
        "pi": 200,
        "member": 403,
        "applicant": 404,
        "reviewer": 404,
        "assessor": 403,
        "call_manager": 403,
        "finance": 404,
        "import_desk": 404,
        "admin_user": 403,
    },
    "letter_download": {
        "pi": 200,
        "member": 200,
        "applicant": 404,
        "reviewer": 404,
        "assessor": 200,
        "call_manager": 200,
        "finance": 404,
        "import_desk": 404,
        "admin_user": 200,
    },
}


@pytest.mark.parametrize(
    ("route", "who"),
    [(route, who) for route, table in TEAM_ROUTES.items() for who in ["anonymous", *table]],
)
def test_team_routes_per_role_and_ownership(client, request, world, route, who):
    target = world["approved"].pk if route == "letter_download" else world["allocation"].pk
    url = reverse(f"awards:{route}", args=[target])
    if who == "anonymous":
        _assert_login_redirect(client.get(url))
        return
    if who == "pi":
        user = world["approved"].project.pi
    elif who == "member":
        user = world["member"]
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(url).status_code == TEAM_ROUTES[route][who]


def test_decline_post_by_another_applicant_is_404_and_changes_nothing(
    client, other_applicant, world
):
    client.force_login(other_applicant)
    url = reverse("awards:allocation_decline", args=[world["allocation"].pk])
    response = client.post(url, {"reason": "", "confirm": "on"})
    assert response.status_code == 404
    world["allocation"].refresh_from_db()
    assert world["allocation"].state == "pending"


def test_close_post_by_the_pi_is_403(client, world):
    client.force_login(world["approved"].project.pi)
    url = reverse("awards:allocation_close", args=[world["allocation"].pk])
    response = client.post(url, {"reason": "Mine.", "used_gpu_hours": "0"})
    assert response.status_code == 403
    world["allocation"].refresh_from_db()
    assert world["allocation"].state == "pending"
