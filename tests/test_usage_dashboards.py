"""Usage dashboards and alerts: used vs granted, per member and day, burn rate and run-out
date for the team; utilisation, top consumers and idle allocations for staff; alerts at
75, 90 and 100 % once each. Per-role access to both pages."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allocations.awards.models import Allocation, AllocationState
from allocations.calls.models import Resource
from allocations.core.models import Notification
from allocations.usage import alerts, dashboards
from allocations.usage.models import IngestRun, UsageAlert, UsageDaily
from tests.conftest import ROLE_FIXTURES
from tests.factories import UserFactory
from tests.factories_applications import add_to_team
from tests.factories_awards import (  # noqa: F401  (fixtures)
    application_at,
    approve_application,
    call_with_capacity,
    fast_letters,
)

pytestmark = pytest.mark.usefixtures("fast_letters")
HOUR = 3600


@pytest.fixture
def allocation(db, call_manager, django_capture_on_commit_callbacks):
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call, pi=UserFactory(cluster_username="aigerim"), hours=100)
    add_to_team(application.project, UserFactory(cluster_username="bolat"))
    start = timezone.localdate() - timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        approve_application(call_manager, application, 100, start=timezone.localdate())
    Allocation.objects.filter(application=application).update(
        start_date=start, end_date=start + timedelta(days=60)
    )
    return Allocation.objects.get(application=application)


def use(allocation, day, hours, username="aigerim"):
    row, _ = UsageDaily.objects.get_or_create(
        cluster="kazgpu",
        account=allocation.slurm_account,
        username=username,
        day=day,
        defaults={"allocation": allocation, "gpu_seconds": 0, "jobs": 1},
    )
    row.gpu_seconds += int(hours * HOUR)
    row.save()


def test_used_vs_granted_per_member_per_day_and_burn(allocation):
    today = timezone.localdate()
    for back in range(7):  # 2 GPU-hours a day this week, aigerim and bolat
        use(allocation, today - timedelta(days=back), 1.5, "aigerim")
        use(allocation, today - timedelta(days=back), 0.5, "bolat")
    use(allocation, today - timedelta(days=15), 6)
    usage = dashboards.allocation_usage(allocation=allocation, today=today)
    assert usage.used_hours == 20 and usage.percent == 20
    assert usage.remaining_hours == 80
    assert usage.members == [
        {"username": "aigerim", "hours": 16.5, "share": 82.5},
        {"username": "bolat", "hours": 3.5, "share": 17.5},
    ]
    assert usage.days[0] == (allocation.start_date, 0)  # zero days are in the chart
    assert usage.days[-1] == (today, 2 * HOUR)
    assert usage.burn_per_day_hours == 2
    assert usage.runs_out_on == today + timedelta(days=40)
    assert not usage.runs_out_before_end  # ends in 40 days: exactly at the end date


def test_run_out_date_arithmetic():
    today = date(2026, 12, 2)
    assert (
        dashboards.run_out_date(remaining_seconds=10 * HOUR, per_day_seconds=0, today=today) is None
    )
    assert dashboards.run_out_date(remaining_seconds=0, per_day_seconds=HOUR, today=today) == today
    assert dashboards.run_out_date(
        remaining_seconds=10 * HOUR, per_day_seconds=4 * HOUR, today=today
    ) == date(2026, 12, 4)


def test_a_suspended_allocation_burns_nothing(allocation):
    use(allocation, timezone.localdate(), 5)
    Allocation.objects.filter(pk=allocation.pk).update(state=AllocationState.SUSPENDED)
    allocation.refresh_from_db()
    usage = dashboards.allocation_usage(allocation=allocation, today=timezone.localdate())
    assert usage.burn_per_day_seconds == 0 and usage.runs_out_on is None


@pytest.mark.parametrize(
    ("used", "expected"),
    [(74.99, []), (75, [75]), (89, [75]), (90, [75, 90]), (120, [75, 90, 100])],
)
def test_thresholds_crossed(used, expected):
    assert alerts.crossed(used_seconds=int(used * HOUR), granted_hours=100) == expected


def test_alerts_are_sent_once_each(allocation):
    use(allocation, timezone.localdate(), 80)
    now = timezone.now()
    assert alerts.check_alerts(allocation_ids=[allocation.pk], now=now) == 1
    assert alerts.check_alerts(allocation_ids=[allocation.pk], now=now) == 0
    use(allocation, timezone.localdate(), 25)  # 105 %
    assert alerts.check_alerts(allocation_ids=[allocation.pk], now=now) == 2
    assert list(UsageAlert.objects.values_list("threshold", flat=True)) == [75, 90, 100]
    notices = Notification.objects.filter(kind="usage_threshold")
    assert notices.count() == 3 * 2  # three thresholds, two team members
    assert "100 %" in notices.order_by("-id").first().subject


def test_the_team_page_shows_the_figures(client, allocation):
    use(allocation, timezone.localdate(), 30)
    client.force_login(allocation.project.pi)
    page = client.get(reverse("usage:allocation_usage", args=[allocation.pk])).content.decode()
    assert "30.0 of 100 GPU-hours (30.0 %)" in page
    assert 'class="usage-bar"' in page and "<svg" in page
    assert "aigerim" in page


@pytest.mark.parametrize("role", [*ROLE_FIXTURES, "pi", "member"])
def test_allocation_usage_per_role(client, request, allocation, role):
    url = reverse("usage:allocation_usage", args=[allocation.pk])
    member = allocation.members.exclude(user=allocation.project.pi).first().user
    users = {"pi": allocation.project.pi, "member": member}
    if role != "anonymous":
        client.force_login(users.get(role) or request.getfixturevalue(role))
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ("pi", "member", "assessor", "call_manager", "finance", "admin_user"):
        assert response.status_code == 200
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_centre_usage_per_role(client_as, role):
    client, _user = client_as(role)
    response = client.get(reverse("usage:centre_usage"))
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ("assessor", "call_manager", "finance", "admin_user"):
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_centre_page_utilisation_top_idle_and_unknown_accounts(client, call_manager, allocation):
    today = timezone.localdate()
    use(allocation, today, 24)
    idle = Allocation.objects.create(
        application=allocation.application,
        project=allocation.project,
        resource=Resource.objects.create(
            name="Other H200", cluster="kazgpu", partition="other", capacity_gpu_hours=10
        ),
        gpu_hours=10,
        start_date=today - timedelta(days=30),
        end_date=today + timedelta(days=30),
        state=AllocationState.ACTIVE,
        slurm_account="p00999_a009999",
    )
    IngestRun.objects.create(
        cluster="kazgpu", source="demo", window_start=timezone.now() - timedelta(hours=1),
        window_end=timezone.now(), started_at=timezone.now(), status="done",
        unknown_accounts={"lab_private": 7200},
    )  # fmt: skip
    client.force_login(call_manager)
    page = client.get(reverse("usage:centre_usage")).content.decode()
    assert allocation.slurm_account in page  # a top consumer
    assert idle.slurm_account in page  # idle
    assert "lab_private" in page
    bad = client.get(reverse("usage:centre_usage"), {"start": "2026-12-31", "end": "2026-01-01"})
    assert bad.status_code == 200 and "The end comes before the start." in bad.content.decode()
    junk = client.get(reverse("usage:centre_usage"), {"start": "yesterday"})
    assert junk.status_code == 200


def test_pages_read_a_constant_number_of_queries(client, call_manager, allocation):
    client.force_login(call_manager)
    today = timezone.localdate()

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    detail = reverse("usage:allocation_usage", args=[allocation.pk])
    centre = reverse("usage:centre_usage")
    use(allocation, today, 1)
    before = (count(detail), count(centre))
    for back in range(1, 15):
        for name in ("aigerim", "bolat", "carol"):
            use(allocation, today - timedelta(days=back), 1, name)
    assert (count(detail), count(centre)) == before
