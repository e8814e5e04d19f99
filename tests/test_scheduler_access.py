"""Who may use the scheduler-related routes: sync health, retries, reconcile, suspension,
members of an allocation and the cluster username page, per role."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations.awards import services
from allocations.awards.models import Allocation, AllocationState
from allocations.scheduler.models import ReconcileRun, SchedulerAccount
from tests.conftest import ROLE_FIXTURES
from tests.factories import UserFactory
from tests.factories_applications import add_to_team
from tests.factories_awards import (  # noqa: F401  (fixtures)
    application_at,
    approve_application,
    call_with_capacity,
    fast_letters,
    fast_passwords,
)

pytestmark = pytest.mark.usefixtures("fast_passwords", "fast_letters")

OPERATORS = {"call_manager", "admin_user"}
DECIDERS = {"call_manager", "admin_user"}


@pytest.fixture
def world(db, call_manager, django_capture_on_commit_callbacks):
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call, hours=500)
    member = UserFactory()
    add_to_team(application.project, member)
    with django_capture_on_commit_callbacks(execute=True):
        approve_application(call_manager, application, 500, start=timezone.localdate())
    allocation = Allocation.objects.get(application=application)
    assert allocation.state == AllocationState.ACTIVE
    # A change waiting for the scheduler, so that "retry" has something to do.
    SchedulerAccount.objects.filter(name=allocation.slurm_account).update(applied_version=0)
    run = ReconcileRun.objects.create(cluster="kazgpu")
    return {"allocation": allocation, "member": member, "run": run}


def _staff_routes(world):
    allocation = world["allocation"]
    account = SchedulerAccount.objects.get(name=allocation.slurm_account)
    return {
        "sync_health": ("get", reverse("awards:sync_health"), OPERATORS, 200),
        "sync_retry": ("post", reverse("awards:sync_retry", args=[account.pk]), OPERATORS, 302),
        "reconcile_start": ("post", reverse("awards:reconcile_start"), OPERATORS, 302),
        "reconcile_run": (
            "get",
            reverse("awards:reconcile_run", args=[world["run"].pk]),
            OPERATORS,
            200,
        ),
        "allocation_suspend": (
            "get",
            reverse("awards:allocation_suspend", args=[allocation.pk]),
            DECIDERS,
            200,
        ),
        "allocation_resume": (
            "post",
            reverse("awards:allocation_resume", args=[allocation.pk]),
            DECIDERS,
            302,
        ),
    }


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize(
    "route",
    [
        "sync_health",
        "sync_retry",
        "reconcile_start",
        "reconcile_run",
        "allocation_suspend",
        "allocation_resume",
    ],
)
def test_staff_routes_per_role(client_as, world, role, route):
    method, url, allowed, success = _staff_routes(world)[route]
    client, _user = client_as(role)
    response = getattr(client, method)(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif role in allowed:
        assert response.status_code == success
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", [*ROLE_FIXTURES, "pi", "member"])
def test_member_routes_per_role(client, request, world, role):
    """The PI (and co-PIs) and call managers manage members; other team members may not;
    people outside the team do not see the allocation at all."""
    allocation = world["allocation"]
    member_row = allocation.members.get(user=world["member"])
    remove = reverse("awards:member_remove", args=[allocation.pk, member_row.pk])
    add = reverse("awards:member_add", args=[allocation.pk])
    users = {"pi": allocation.project.pi, "member": world["member"]}
    if role != "anonymous":
        client.force_login(users.get(role) or request.getfixturevalue(role))
    response = client.post(remove)
    if role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
        return
    if role in ("pi", "call_manager", "admin_user"):
        assert response.status_code == 302
        assert not allocation.members.filter(pk=member_row.pk, removed_at__isnull=True).exists()
        assert client.post(add, {"user": world["member"].pk}).status_code == 302
        assert allocation.members.filter(user=world["member"], removed_at__isnull=True).exists()
    elif role == "member":
        assert response.status_code == 403
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_everyone_signed_in_sets_their_own_cluster_username(client_as, role):
    client, user = client_as(role)
    url = reverse("accounts:cluster_username")
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
        return
    assert response.status_code == 200
    response = client.post(url, {"cluster_username": f"u_{role}"[:32]})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.cluster_username == f"u_{role}"[:32]


def test_suspend_and_resume_through_the_pages(client, world, call_manager):
    allocation = world["allocation"]
    client.force_login(call_manager)
    url = reverse("awards:allocation_suspend", args=[allocation.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = client.post(url, {"reason": "Annual report missing."})
    assert response.status_code == 302
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.SUSPENDED
    page = client.get(reverse("awards:allocation_detail", args=[allocation.pk])).content.decode()
    assert "GPU jobs wait with the reason AssocGrpGRESMinutes" in page
    # Suspending twice is refused with a message, never a 500.
    again = client.post(url, {"reason": "Again."})
    assert again.status_code == 200
    assert "Only an active allocation can be suspended" in again.content.decode()
    client.post(reverse("awards:allocation_resume", args=[allocation.pk]))
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.ACTIVE
    resumed_twice = client.post(reverse("awards:allocation_resume", args=[allocation.pk]))
    assert resumed_twice.status_code == 302  # with a message on the page it returns to


def test_unknown_ids_are_404(client, call_manager):
    client.force_login(call_manager)
    assert client.get(reverse("awards:reconcile_run", args=[999_999])).status_code == 404
    assert client.get(reverse("awards:allocation_suspend", args=[999_999])).status_code == 404
    response = client.post(reverse("awards:sync_retry", args=[999_999]), follow=True)
    assert "no change waiting" in response.content.decode()


def test_member_add_with_bad_input_explains(client, world):
    allocation = world["allocation"]
    client.force_login(allocation.project.pi)
    url = reverse("awards:member_add", args=[allocation.pk])
    page = client.post(url, {"user": "abc"}, follow=True).content.decode()
    assert "Choose a team member to add." in page
    stranger = UserFactory()
    page = client.post(url, {"user": stranger.pk}, follow=True).content.decode()
    assert "Only members of the project&#x27;s team can use its allocations." in page
    page = client.post(url, {"user": world["member"].pk}, follow=True).content.decode()
    assert "already a member" in page


def test_expired_allocations_refuse_member_changes(client, world):
    allocation = world["allocation"]
    Allocation.objects.filter(pk=allocation.pk).update(
        start_date=timezone.localdate() - timedelta(days=10), end_date=timezone.localdate()
    )
    assert services.expire_allocations(now=timezone.now()) == 1
    client.force_login(allocation.project.pi)
    member_row = allocation.members.get(user=world["member"])
    url = reverse("awards:member_remove", args=[allocation.pk, member_row.pk])
    page = client.post(url, follow=True).content.decode()
    assert "cannot change" in page
