"""What each allocation change asks of the cluster (dry-run backend): the desired GPU limit
and members after approval, team changes, username changes, suspension and expiry; the
cluster username rules; the sync pages."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allocations.accounts.cluster_usernames import clean_cluster_username, set_cluster_username
from allocations.applications import services as application_services
from allocations.awards import services
from allocations.awards.models import Allocation, AllocationState
from allocations.core.models import AuditEvent, Notification
from allocations.scheduler.models import (
    OperationReason,
    OperationState,
    SchedulerAccount,
    SchedulerOperation,
)
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


@pytest.fixture
def allocation(db, call_manager, django_capture_on_commit_callbacks):
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call, pi=UserFactory(cluster_username="aigerim"), hours=200)
    add_to_team(application.project, UserFactory(cluster_username="bolat"))
    add_to_team(application.project, UserFactory(cluster_username=None))
    with django_capture_on_commit_callbacks(execute=True):
        approve_application(call_manager, application, 200)
    return Allocation.objects.get(application=application)


def newest(allocation):
    return SchedulerOperation.objects.filter(account__name=allocation.slurm_account).latest(
        "version"
    )


def test_approval_asks_for_the_grant_in_minutes_and_the_members_with_usernames(allocation):
    operation = newest(allocation)
    assert operation.reason == OperationReason.APPROVAL
    assert (operation.gpu_minutes, operation.users) == (12_000, ["aigerim", "bolat"])
    assert operation.state == OperationState.DONE


def test_joining_and_leaving_the_team_follows_on_the_cluster(allocation):
    pi = allocation.project.pi
    carol = UserFactory(cluster_username="carol")
    application_services.add_project_member(
        actor=pi, project_id=allocation.project_id, email=carol.email, role="member"
    )
    assert newest(allocation).users == ["aigerim", "bolat", "carol"]
    assert newest(allocation).reason == OperationReason.MEMBER_ADDED
    member_id = allocation.project.members.get(user=carol).pk
    application_services.remove_project_member(
        actor=pi, project_id=allocation.project_id, member_id=member_id
    )
    assert newest(allocation).users == ["aigerim", "bolat"]
    assert newest(allocation).reason == OperationReason.MEMBER_REMOVED
    verbs = AuditEvent.objects.filter(verb__startswith="allocation.member").values_list(
        "verb", flat=True
    )
    assert list(verbs.order_by("id")) == ["allocation.member_added", "allocation.member_removed"]


def test_a_username_set_later_reaches_the_cluster(allocation):
    newcomer = allocation.members.get(user__cluster_username__isnull=True).user
    set_cluster_username(actor=newcomer, user_id=newcomer.pk, username="  Dana_K ")
    operation = newest(allocation)
    assert operation.reason == OperationReason.USERNAME_CHANGED
    assert operation.users == ["aigerim", "bolat", "dana_k"]
    event = AuditEvent.objects.get(verb="user.cluster_username_set")
    assert event.data == {"from": "", "to": "dana_k"}


def test_suspension_keeps_members_and_expiry_drops_them(allocation, call_manager):
    services.suspend_allocation(actor=call_manager, allocation_id=allocation.pk, reason="Audit.")
    assert (newest(allocation).gpu_minutes, newest(allocation).users) == (0, ["aigerim", "bolat"])
    assert Notification.objects.filter(kind="awards_allocation_suspended").count() == 3
    services.resume_allocation(actor=call_manager, allocation_id=allocation.pk, now=timezone.now())
    assert newest(allocation).gpu_minutes == 12_000

    today = timezone.localdate()
    Allocation.objects.filter(pk=allocation.pk).update(
        start_date=today - timedelta(days=100), end_date=today
    )
    assert services.expire_allocations(now=timezone.now()) == 1
    assert services.expire_allocations(now=timezone.now()) == 0  # safe to repeat
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.EXPIRED
    operation = newest(allocation)
    assert (operation.reason, operation.gpu_minutes, operation.users) == ("expiry", 0, [])


def test_an_allocation_ending_tomorrow_is_not_expired(allocation):
    Allocation.objects.filter(pk=allocation.pk).update(
        end_date=timezone.localdate() + timedelta(days=1)
    )
    assert services.expire_allocations(now=timezone.now()) == 0


def test_only_deciders_suspend_and_only_active_allocations(allocation, applicant, call_manager):
    with pytest.raises(PermissionDenied):
        services.suspend_allocation(actor=applicant, allocation_id=allocation.pk, reason="x")
    with pytest.raises(ValidationError):
        services.suspend_allocation(actor=call_manager, allocation_id=allocation.pk, reason=" ")
    with pytest.raises(ValidationError):
        services.resume_allocation(
            actor=call_manager, allocation_id=allocation.pk, now=timezone.now()
        )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("aigerim", "aigerim"), ("A.Serik".replace(".", ""), "aserik"), ("_svc-1", "_svc-1")],
)
def test_good_cluster_usernames(raw, clean):
    assert clean_cluster_username(raw) == clean


@pytest.mark.parametrize(
    "raw", ["", "a", "1abc", "ab cd", "ab.cd", "-ab", "a" * 33, "айгерим", "root", "slurm"]
)
def test_bad_cluster_usernames_are_refused_with_a_reason(raw):
    with pytest.raises(ValidationError) as error:
        clean_cluster_username(raw)
    assert error.value.messages[0]


@pytest.mark.django_db
def test_a_taken_username_is_refused_on_the_page(client):
    UserFactory(cluster_username="aigerim")
    me = UserFactory()
    client.force_login(me)
    url = reverse("accounts:cluster_username")
    page = client.post(url, {"cluster_username": "AIGERIM"}).content.decode()
    assert "This cluster username is already taken." in page
    page = client.post(url, {"cluster_username": "root"}).content.decode()
    assert "reserved for the system" in page
    me.refresh_from_db()
    assert me.cluster_username is None


@pytest.mark.django_db
def test_only_user_admins_set_someone_elses_username(applicant, admin_user):
    other = UserFactory()
    with pytest.raises(PermissionDenied):
        set_cluster_username(actor=applicant, user_id=other.pk, username="other")
    set_cluster_username(actor=admin_user, user_id=other.pk, username="other")
    other.refresh_from_db()
    assert other.cluster_username == "other"


def test_the_team_sees_the_account_state_and_how_to_submit(client, allocation):
    client.force_login(allocation.project.pi)
    page = client.get(reverse("awards:allocation_detail", args=[allocation.pk])).content.decode()
    assert "Up to date" in page
    assert f"sbatch --account={allocation.slurm_account}" in page
    assert "12,000 GPU-minutes" in page or "12000 GPU-minutes" in page
    assert "Scheduler operations" not in page  # staff only
    SchedulerAccount.objects.filter(name=allocation.slurm_account).update(applied_version=0)
    page = client.get(reverse("awards:allocation_detail", args=[allocation.pk])).content.decode()
    assert "Being updated" in page


def test_the_sync_page_lists_waiting_changes_with_the_schedulers_error(
    client, call_manager, allocation
):
    account = SchedulerAccount.objects.get(name=allocation.slurm_account)
    account.applied_version = 0
    account.save()
    SchedulerOperation.objects.filter(account=account).update(
        state=OperationState.FAILED, attempts=3, last_error="slurmrestd unreachable (refused)"
    )
    client.force_login(call_manager)
    page = client.get(reverse("awards:sync_health") + "?state=failed").content.decode()
    assert allocation.slurm_account in page
    assert "slurmrestd unreachable (refused)" in page
    assert "Retry now" in page
    empty = client.get(reverse("awards:sync_health") + "?state=pending").content.decode()
    assert "Nothing is waiting" in empty
    junk = client.get(reverse("awards:sync_health") + "?state=<b>&page=x")
    assert junk.status_code == 200


def test_the_sync_page_reads_a_constant_number_of_queries(client, call_manager):
    from allocations.scheduler.services import request_account_state

    client.force_login(call_manager)
    url = reverse("awards:sync_health")

    def count_with(n):
        for i in range(n):
            request_account_state(
                cluster="kazgpu", account=f"p{i:05d}_a{n:06d}", gpu_minutes=60, users=[],
                reason=OperationReason.APPROVAL,
            )  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    assert count_with(3) == count_with(30)
