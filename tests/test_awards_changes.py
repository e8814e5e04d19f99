"""Extensions and supplements: asking, withdrawing, deciding within the call's capacity,
what reaches the scheduler, the pages, and who may use each route."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allocations.applications.models import TeamRole
from allocations.awards import services
from allocations.awards.models import Allocation, AllocationState, ChangeRequest
from allocations.core.models import AuditEvent, Notification
from allocations.scheduler.models import SchedulerAccount, SchedulerOperation
from tests.factories import UserFactory
from tests.factories_applications import add_to_team
from tests.factories_awards import (  # noqa: F401  (fixtures)
    application_at,
    call_with_capacity,
    fast_letters,
    fast_passwords,
)

pytestmark = pytest.mark.usefixtures("fast_letters", "fast_passwords")


def make_allocation(manager, *, capacity=10_000, start=None, end=None, call=None):
    """An approved allocation of 1 000 GPU-hours (pending, or as the dates make it)."""
    call = call or call_with_capacity(capacities=(capacity,))[0]
    application = application_at(call, hours=1000)
    start = start or timezone.localdate() + timedelta(days=30)
    services.decide(
        actor=manager,
        application_id=application.pk,
        outcome="approved",
        reason="Funded.",
        amounts={application.requests.get().resource_id: 1000},
        start_date=start,
        end_date=end or start + timedelta(days=180),
        now=timezone.now(),
    )
    return Allocation.objects.select_related("project__pi").get(application=application)


def ask(actor, allocation, kind="extension", **kwargs):
    kwargs.setdefault("justification", "Training takes longer than planned.")
    if kind == "extension":
        kwargs.setdefault("requested_end_date", allocation.end_date + timedelta(days=60))
    else:
        kwargs.setdefault("requested_gpu_hours", 500)
    now = timezone.now()
    return services.request_change(
        actor=actor, allocation_id=allocation.pk, kind=kind, now=now, **kwargs
    )


def withdraw(actor, allocation, change):
    now = timezone.now()
    return services.withdraw_change(
        actor=actor, allocation_id=allocation.pk, change_id=change.pk, now=now
    )


def decide(actor, change, outcome="approved", reason="Fine.", **kwargs):
    now = timezone.now()
    return services.decide_change(
        actor=actor, change_id=change.pk, outcome=outcome, reason=reason, now=now, **kwargs
    )


def last_operation(allocation):
    return SchedulerOperation.objects.filter(account__name=allocation.slurm_account).latest("id")


def events(verb):
    return AuditEvent.objects.filter(verb=verb).order_by("id")


@pytest.fixture
def alloc(call_manager):
    """1 000 GPU-hours out of a call capacity of 2 000, with a co-PI and a plain member."""
    allocation = make_allocation(call_manager, capacity=2000)
    allocation.co_pi, allocation.member = UserFactory(), UserFactory()
    add_to_team(allocation.project, allocation.co_pi, TeamRole.CO_PI)
    add_to_team(allocation.project, allocation.member)
    return allocation


def test_pi_and_co_pi_ask_for_both_kinds(alloc):
    new_end = alloc.end_date + timedelta(days=90)
    ext = ask(alloc.project.pi, alloc, requested_end_date=new_end, requested_gpu_hours=100)
    sup = ask(alloc.co_pi, alloc, "supplement", requested_end_date=new_end)
    assert ext.state == "submitted" and ext.requested_gpu_hours == 100
    assert ext.requested_end_date == new_end and ext.requested_at and ext.decided_at is None
    assert sup.requested_by == alloc.co_pi and sup.requested_gpu_hours == 500
    assert sup.requested_end_date is None  # a supplement keeps the end date
    assert events("allocation.change_requested").count() == 2
    assert Notification.objects.filter(kind="awards_change_submitted").count() == 6  # team of 3


def test_bad_requests_are_refused(alloc):
    end = alloc.end_date
    for kind, kwargs, field in [
        ("extension", {"requested_end_date": end}, "requested_end_date"),  # not later
        ("extension", {"requested_end_date": end - timedelta(1)}, "requested_end_date"),
        ("extension", {"requested_end_date": None}, "requested_end_date"),
        ("extension", {"requested_gpu_hours": -5}, "requested_gpu_hours"),
        ("supplement", {"requested_gpu_hours": 0}, "requested_gpu_hours"),
        ("supplement", {"justification": "  "}, "justification"),
        ("upgrade", {}, "kind"),
    ]:
        with pytest.raises(ValidationError) as refused:
            ask(alloc.project.pi, alloc, kind, **kwargs)
        assert field in refused.value.message_dict, (kind, kwargs)
    assert not ChangeRequest.objects.exists()


def test_one_open_request_per_kind_and_none_on_a_closed_allocation(alloc, call_manager):
    first = ask(alloc.project.pi, alloc)
    with pytest.raises(ValidationError, match="already has an open request"):
        ask(alloc.co_pi, alloc)
    ask(alloc.co_pi, alloc, "supplement")  # the other kind is fine
    withdraw(alloc.co_pi, alloc, first)
    ask(alloc.project.pi, alloc)  # a withdrawn request no longer blocks
    now = timezone.now()
    services.close_allocation(
        actor=call_manager, allocation_id=alloc.pk, reason="Done.", used_gpu_hours=0, now=now
    )
    with pytest.raises(ValidationError, match="closed"):
        ask(alloc.project.pi, alloc, "supplement", requested_gpu_hours=5)


def test_only_the_pi_and_co_pis_ask_and_withdraw(alloc, call_manager, applicant):
    outsiders = [(alloc.member, PermissionDenied), (call_manager, PermissionDenied)]
    for user, refusal in [*outsiders, (applicant, Http404)]:
        with pytest.raises(refusal):
            ask(user, alloc)
    change = ask(alloc.project.pi, alloc)
    for user, refusal in [(alloc.member, PermissionDenied), (applicant, Http404)]:
        with pytest.raises(refusal):
            withdraw(user, alloc, change)
    other = make_allocation(call_manager)
    with pytest.raises(Http404):  # the request belongs to another allocation
        withdraw(other.project.pi, other, change)
    withdrawn = withdraw(alloc.project.pi, alloc, change)
    assert (withdrawn.state, withdrawn.decided_by) == ("withdrawn", alloc.project.pi)
    assert withdrawn.decided_at and events("allocation.change_withdrawn").count() == 1
    with pytest.raises(ValidationError, match="Only an open request"):
        withdraw(alloc.project.pi, alloc, change)
    with pytest.raises(ValidationError, match="no longer open"):
        decide(call_manager, change)


def test_approving_an_extension_within_capacity(alloc, call_manager):
    new_end = alloc.end_date + timedelta(days=60)
    change = ask(alloc.project.pi, alloc, requested_end_date=new_end, requested_gpu_hours=300)
    decided = decide(call_manager, change)  # by default what was asked for
    alloc.refresh_from_db()
    assert (alloc.gpu_hours, alloc.end_date) == (1300, new_end)
    assert (decided.granted_gpu_hours, decided.granted_end_date) == (300, new_end)
    assert decided.state == "approved" and decided.decided_by == call_manager and decided.decided_at
    operation = last_operation(alloc)
    assert (operation.reason, operation.gpu_minutes) == ("extension", 1300 * 60)
    assert SchedulerAccount.objects.get(name=alloc.slurm_account).gpu_minutes == 1300 * 60
    event = events("allocation.change_approved").get()
    assert event.actor == call_manager and event.target_id == str(alloc.pk)
    expected = {"kind": "extension", "granted_gpu_hours": 300, "over_capacity": False}
    assert event.data | expected == event.data
    assert Notification.objects.filter(kind="awards_change_decided").count() == 3
    with pytest.raises(ValidationError, match="no longer open"):  # approving twice
        decide(call_manager, change)
    assert Allocation.objects.get(pk=alloc.pk).gpu_hours == 1300


def test_a_supplement_beyond_capacity_needs_an_override(alloc, call_manager):
    change = ask(alloc.project.pi, alloc, "supplement", requested_gpu_hours=1500)
    with pytest.raises(ValidationError, match="Only 1000 GPU-hours remain"):
        decide(call_manager, change)
    with pytest.raises(ValidationError) as refused:
        decide(call_manager, change, override=True)
    assert "override_reason" in refused.value.message_dict
    assert not SchedulerOperation.objects.filter(reason="supplement").exists()
    decide(call_manager, change, granted_gpu_hours=800)  # fits: no override needed
    second = ask(alloc.project.pi, alloc, "supplement", requested_gpu_hours=400)
    decided = decide(call_manager, second, override=True, override_reason="Strategic project.")
    assert "Strategic project." in decided.decision_reason
    alloc.refresh_from_db()
    assert alloc.gpu_hours == 2200
    operation = last_operation(alloc)
    assert (operation.reason, operation.gpu_minutes) == ("supplement", 2200 * 60)
    event = events("allocation.change_approved").last()
    assert event.data["over_capacity"] and event.data["override_reason"] == "Strategic project."


def test_rejecting_needs_a_reason_and_changes_nothing(alloc, call_manager, reviewer):
    change = ask(alloc.project.pi, alloc, "supplement")
    with pytest.raises(PermissionDenied):
        decide(reviewer, change)
    with pytest.raises(ValidationError) as refused:
        decide(call_manager, change, outcome="rejected", reason=" ")
    assert "reason" in refused.value.message_dict
    decided = decide(call_manager, change, outcome="rejected", reason="The call is full.")
    assert (decided.state, decided.decision_reason) == ("rejected", "The call is full.")
    assert Allocation.objects.get(pk=alloc.pk).gpu_hours == 1000
    assert events("allocation.change_rejected").count() == 1
    notice = Notification.objects.filter(kind="awards_change_decided").first()
    assert "The call is full." in notice.body


def test_an_expired_allocation_is_active_again_after_an_extension(call_manager):
    allocation = make_allocation(call_manager, start=date(2020, 1, 1), end=date(2020, 6, 1))
    services.activate_allocation(allocation_id=allocation.pk, now=timezone.now())
    services.expire_allocations(now=timezone.now())
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.EXPIRED
    later = timezone.localdate() + timedelta(days=90)
    first = ask(allocation.project.pi, allocation, requested_end_date=later)
    decide(call_manager, first, granted_end_date=date(2020, 7, 1))
    allocation.refresh_from_db()  # the granted date is over too: still expired
    assert (allocation.state, last_operation(allocation).gpu_minutes) == ("expired", 0)
    decide(call_manager, ask(allocation.project.pi, allocation, requested_end_date=later))
    allocation.refresh_from_db()
    assert (allocation.state, allocation.end_date) == (AllocationState.ACTIVE, later)
    assert last_operation(allocation).gpu_minutes == allocation.gpu_hours * 60
    event = events("allocation.change_approved").last()
    assert (event.from_state, event.to_state) == ("expired", "active")


# --- Pages ---------------------------------------------------------------------------------


def test_asking_and_deciding_through_the_pages(client, alloc, call_manager):
    client.force_login(alloc.project.pi)
    url = reverse("awards:change_request", args=[alloc.pk])
    page = client.get(url + "?kind=supplement").content.decode()
    assert "Ask for more GPU-hours" in page and "requested_end_date" not in page
    asked = {"kind": "supplement", "requested_gpu_hours": "1500", "justification": "More runs."}
    assert client.post(url, asked).status_code == 302
    change = ChangeRequest.objects.get()
    again = client.post(url, {**asked, "justification": "Again."}).content.decode()
    assert "already has an open request" in again
    detail = client.get(reverse("awards:allocation_detail", args=[alloc.pk])).content.decode()
    assert "Extensions and supplements" in detail and "Withdraw" in detail
    assert "More runs." in detail and "Ask for an extension" in detail
    client.force_login(call_manager)
    decide_url = reverse("awards:change_decide", args=[change.pk])
    staff_view = client.get(reverse("awards:allocation_detail", args=[alloc.pk])).content.decode()
    assert decide_url in staff_view and "Withdraw" not in staff_view
    approve = {"outcome": "approved", "granted_gpu_hours": "1500"}
    response = client.post(decide_url, approve)
    assert response.status_code == 200
    assert "Only 1000 GPU-hours remain" in response.content.decode()
    override = {**approve, "override": "on", "override_reason": "Priority."}
    assert client.post(decide_url, override).status_code == 302
    assert Allocation.objects.get(pk=alloc.pk).gpu_hours == 2500
    assert "no longer open" in client.get(decide_url).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "extension", "requested_end_date": "same"}, "requested_end_date"),
        ({"kind": "extension", "requested_end_date": "not a date"}, "requested_end_date"),
        ({"kind": "extension", "requested_end_date": ""}, "requested_end_date"),
        ({"kind": "supplement", "requested_gpu_hours": "0"}, "requested_gpu_hours"),
        ({"kind": "supplement", "requested_gpu_hours": "many"}, "requested_gpu_hours"),
        ({"kind": "supplement", "requested_gpu_hours": "9" * 20}, "requested_gpu_hours"),
        ({"kind": "supplement", "requested_gpu_hours": "9", "justification": ""}, "justification"),
        ({"kind": "upgrade"}, "kind"),
    ],
)
def test_request_form_bad_input(client, alloc, data, field):
    if data.get("requested_end_date") == "same":
        data = {**data, "requested_end_date": alloc.end_date.isoformat()}
    client.force_login(alloc.project.pi)
    url = reverse("awards:change_request", args=[alloc.pk])
    response = client.post(url, {"justification": "Why.", **data})
    assert response.status_code == 200 and response.context["form"].errors[field]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"outcome": "rejected", "reason": ""}, "reason"),
        ({"outcome": "approved", "granted_gpu_hours": ""}, "granted_gpu_hours"),
        ({"outcome": "approved", "granted_gpu_hours": "-1"}, "granted_gpu_hours"),
        ({"outcome": "approved", "granted_end_date": "2001-01-01"}, "granted_end_date"),
        ({"outcome": "approved", "granted_end_date": "soon"}, "granted_end_date"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "approved", "override": "on"}, "override_reason"),
    ],
)
def test_decide_form_bad_input(client, alloc, call_manager, data, field):
    change = ask(alloc.project.pi, alloc)
    client.force_login(call_manager)
    end = change.requested_end_date.isoformat()
    data = {"granted_gpu_hours": "0", "granted_end_date": end, **data}
    response = client.post(reverse("awards:change_decide", args=[change.pk]), data)
    assert response.status_code == 200 and response.context["form"].errors[field]
    assert ChangeRequest.objects.get().state == "submitted"


def test_withdraw_button_and_repeat(client, alloc):
    change = ask(alloc.project.pi, alloc)
    client.force_login(alloc.co_pi)
    url = reverse("awards:change_withdraw", args=[alloc.pk, change.pk])
    assert client.post(url).status_code == 302
    assert ChangeRequest.objects.get().state == "withdrawn"
    again = client.post(url, follow=True).content.decode()
    assert "Only an open request can be withdrawn" in again


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("awards:staff_change_list")).status_code == 200
    return len(queries)


def test_staff_list_runs_a_constant_number_of_queries(client, call_manager):
    call, _rows = call_with_capacity(capacities=(1_000_000,))
    client.force_login(call_manager)

    def add(allocations):
        for _ in range(allocations):
            allocation = make_allocation(call_manager, call=call)
            ask(allocation.project.pi, allocation)
            ask(allocation.project.pi, allocation, "supplement")

    add(2)
    few = _list_queries(client)  # 4 requests
    add(13)
    assert _list_queries(client) == few  # 30 requests
    rows = client.get(reverse("awards:staff_change_list")).context["page"].object_list
    assert len(rows) == 30
    assert [c.requested_at for c in rows] == sorted(c.requested_at for c in rows)


# --- Who may use which route ---------------------------------------------------------------

ROLES = "anonymous applicant member pi co_pi reviewer assessor call_manager finance admin_user"
LEADS = {"pi": 200, "co_pi": 200, "applicant": 404, "reviewer": 404, "finance": 404}
DECIDERS = {"call_manager": 200, "admin_user": 200}
EXPECTED = {  # route: (method, status per role, status for the other roles)
    "change_request": ("get", LEADS, 403),
    "change_withdraw": ("post", {**LEADS, "pi": 302, "co_pi": 302}, 403),
    "staff_change_list": ("get", DECIDERS, 403),
    "change_decide": ("get", DECIDERS, 403),
    "change_decide_post": ("post", DECIDERS, 403),  # empty form: errors for deciders
}


def _login(client, request, alloc, role):
    team = {"pi": alloc.project.pi, "co_pi": alloc.co_pi, "member": alloc.member}
    client.force_login(team.get(role) or request.getfixturevalue(role))


@pytest.mark.parametrize("role", ROLES.split())
@pytest.mark.parametrize("route", list(EXPECTED))
def test_routes_per_role(client, request, alloc, route, role):
    change = ask(alloc.project.pi, alloc)
    args = {"change_request": [alloc.pk], "change_withdraw": [alloc.pk, change.pk]}
    args["change_decide"] = args["change_decide_post"] = [change.pk]
    method, allowed, otherwise = EXPECTED[route]
    if role != "anonymous":
        _login(client, request, alloc, role)
    url = reverse(f"awards:{route.removesuffix('_post')}", args=args.get(route, []))
    response = getattr(client, method)(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == allowed.get(role, otherwise)
    withdrawn = route == "change_withdraw" and role in ("pi", "co_pi")
    assert ChangeRequest.objects.get().state == ("withdrawn" if withdrawn else "submitted")


def test_unknown_ids_are_404(client, admin_user, alloc):
    client.force_login(admin_user)
    assert client.get(reverse("awards:change_decide", args=[999_999])).status_code == 404
    assert client.get(reverse("awards:change_request", args=[999_999])).status_code == 404
    client.force_login(alloc.project.pi)
    url = reverse("awards:change_withdraw", args=[alloc.pk, 999_999])
    assert client.post(url).status_code == 404


def test_closing_an_allocation_ends_its_open_requests(alloc, call_manager):
    change = ask(alloc.project.pi, alloc, kind="supplement")
    services.close_allocation(
        actor=call_manager,
        allocation_id=alloc.pk,
        reason="Project ended.",
        used_gpu_hours=0,
        now=timezone.now(),
    )
    change.refresh_from_db()
    assert change.state == "rejected"
    assert change.decision_reason == "Project ended." and change.decided_at is not None
