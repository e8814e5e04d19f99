"""The cluster side of an allocation in Chromium: a member sets a cluster username and
sees it reach the account; the PI asks for a supplement; the call manager approves it,
suspends the allocation, watches sync health and runs a reconcile that updates itself.
Every page is checked with axe."""

import re

import pytest
from django.urls import reverse

from allocations.awards.models import Allocation
from allocations.scheduler.models import OperationReason, SchedulerOperation
from tests.browser.conftest import assert_accessible, log_in
from tests.factories import UserFactory
from tests.factories_applications import add_to_team
from tests.factories_awards import application_at, approve_application, call_with_capacity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_pi_and_manager_work_with_the_cluster(page, live_server, call_manager):
    call, _rows = call_with_capacity(capacities=(10_000,))
    application = application_at(call, pi=UserFactory(cluster_username="aigerim"), hours=100)
    member = UserFactory(cluster_username=None)
    add_to_team(application.project, member)
    approve_application(call_manager, application, 100)
    allocation = Allocation.objects.get(application=application)
    detail = reverse("awards:allocation_detail", args=[allocation.pk])

    # The member has no cluster username yet: the page says so and links to the form.
    log_in(page, live_server, member)
    page.goto(detail)
    assert "Up to date" in page.locator(".facts").inner_text()
    assert "not set yet" in page.locator("main table").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Set your cluster username").click()
    page.fill("#id_cluster_username", "root")
    page.get_by_role("button", name="Save").click()
    assert "reserved for the system" in page.locator("main").inner_text()
    assert_accessible(page)
    page.fill("#id_cluster_username", "bolat")
    page.get_by_role("button", name="Save").click()
    assert "Your cluster username is saved." in page.locator("main").inner_text()
    page.goto(detail)
    assert "bolat" in page.locator("main table").inner_text()
    newest = SchedulerOperation.objects.filter(account__name=allocation.slurm_account).latest("id")
    assert newest.reason == OperationReason.USERNAME_CHANGED
    assert newest.users == ["aigerim", "bolat"]

    # The PI asks for more GPU-hours.
    page.context.clear_cookies()
    log_in(page, live_server, application.project.pi)
    page.goto(detail)
    page.get_by_role("link", name="Ask for more GPU-hours").click()
    assert_accessible(page)
    page.locator("input[name$='gpu_hours']").fill("50")
    page.locator("textarea").first.fill("One more ablation study.")
    page.get_by_role("button", name="Send the request").click()
    assert_accessible(page)

    # The manager approves it, suspends the allocation and checks the scheduler side.
    page.context.clear_cookies()
    log_in(page, live_server, call_manager)
    page.goto(reverse("awards:staff_change_list"))
    assert_accessible(page)
    page.locator("main table").get_by_role("link", name=re.compile("^Decide")).click()
    assert_accessible(page)
    page.get_by_role("radio", name="Approve").check()
    page.fill("#id_reason", "Within capacity.")
    page.get_by_role("button", name="Record the decision").click()
    allocation.refresh_from_db()
    assert allocation.gpu_hours == 150

    page.goto(detail)
    assert "GrpTRESMins=gres/gpu=9000" in page.locator("main").inner_text()
    page.get_by_role("link", name="Suspend").click()
    assert_accessible(page)
    page.fill("#id_reason", "Annual report overdue.")
    page.get_by_role("button", name="Suspend the allocation").click()
    assert "GPU limit is now 0" in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Scheduler sync health").click()
    assert "Nothing is waiting" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Reconcile now").click()
    page.wait_for_selector("text=the cluster matches the portal")
    assert_accessible(page)
