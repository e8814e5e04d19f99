"""Reconcile: the comparison as a pure function, and runs on the dry-run backend."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations.scheduler.backends import ObservedAccount
from allocations.scheduler.backends.dry_run import DryRunBackend
from allocations.scheduler.models import (
    FindingKind,
    OperationReason,
    ReconcileRun,
    ReconcileStatus,
    SchedulerAccount,
)
from allocations.scheduler.reconcile import Desired, Finding, compare, reconcile_cluster
from allocations.scheduler.services import converge_account, request_account_state

OWNED = re.compile(r"^p\d+_a\d+(_r\d+)?$")


def _desired(name="p00001_a000001", minutes=6000, users=("alice", "bob")):
    return Desired(account=name, gpu_minutes=minutes, users=frozenset(users))


def _seen(name="p00001_a000001", minutes=6000, users=("alice", "bob")):
    return ObservedAccount(account=name, gpu_minutes=minutes, users=frozenset(users))


def test_an_identical_cluster_has_no_findings():
    observed = {"p00001_a000001": _seen(), "root": _seen("root", None, ())}
    assert compare(desired=[_desired()], observed=observed, owned=OWNED) == []


def test_every_kind_of_difference_is_found():
    observed = {
        "p00001_a000001": _seen(minutes=1, users=("alice", "mallory")),
        "p00003_a000003": _seen("p00003_a000003"),  # not the portal's
        "lab_private": _seen("lab_private"),  # an operator's own: not reported
    }
    desired = [_desired(), _desired("p00002_a000002")]
    findings = compare(desired=desired, observed=observed, owned=OWNED)
    assert findings == [
        Finding(FindingKind.LIMIT_DIFFERS, "p00001_a000001", expected="6000", found="1"),
        Finding(FindingKind.MISSING_USER, "p00001_a000001", user="bob"),
        Finding(FindingKind.EXTRA_USER, "p00001_a000001", user="mallory"),
        Finding(FindingKind.MISSING_ACCOUNT, "p00002_a000002"),
        Finding(FindingKind.UNKNOWN_ACCOUNT, "p00003_a000003"),
    ]
    assert [f.repairable for f in findings] == [True, True, True, True, False]


def test_an_unlimited_account_differs_from_a_limit():
    findings = compare(
        desired=[_desired()], observed={"p00001_a000001": _seen(minutes=None)}, owned=OWNED
    )
    assert findings == [
        Finding(FindingKind.LIMIT_DIFFERS, "p00001_a000001", expected="6000", found="none")
    ]


def test_busy_accounts_are_not_called_unknown():
    observed = {"p00001_a000001": _seen()}
    assert (
        compare(desired=[], observed=observed, owned=OWNED, busy=frozenset({"p00001_a000001"}))
        == []
    )


@pytest.mark.django_db
def test_a_run_on_the_dry_run_backend_finds_nothing_and_skips_changes_in_flight():
    done = request_account_state(
        cluster="kazgpu", account="p00001_a000001", gpu_minutes=600, users=["a1"],
        reason=OperationReason.APPROVAL,
    )  # fmt: skip
    converge_account(account_id=done.account_id, now=timezone.now())
    request_account_state(
        cluster="kazgpu",
        account="p00002_a000002",
        gpu_minutes=60,
        users=[],
        reason=OperationReason.APPROVAL,
    )  # fmt: skip (never sent: in flight)
    run = reconcile_cluster(cluster="kazgpu", now=timezone.now())
    assert run.status == ReconcileStatus.DONE
    assert (run.accounts_checked, run.accounts_skipped, run.findings) == (1, 1, [])


@pytest.mark.django_db
def test_drift_is_repaired_through_the_outbox(monkeypatch, django_capture_on_commit_callbacks):
    done = request_account_state(
        cluster="kazgpu", account="p00001_a000001", gpu_minutes=600, users=["a1"],
        reason=OperationReason.APPROVAL,
    )  # fmt: skip
    converge_account(account_id=done.account_id, now=timezone.now())
    monkeypatch.setattr(
        DryRunBackend,
        "read_cluster",
        lambda self, cluster: {"p00001_a000001": _seen(minutes=1, users=("a1",))},
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = reconcile_cluster(cluster="kazgpu", now=timezone.now())
    assert run.repairs_queued == 1
    assert run.findings == [
        {"kind": "limit_differs", "account": "p00001_a000001", "user": "",
         "expected": "600", "found": "1"},
    ]  # fmt: skip
    account = SchedulerAccount.objects.get()
    assert account.desired_version == 2 and account.in_sync
    assert account.operations.get(version=2).reason == OperationReason.REPAIR


@pytest.mark.django_db
def test_a_cluster_that_cannot_be_read_fails_the_run_with_its_words(monkeypatch):
    def unreachable(self, cluster):
        raise ConnectionRefusedError("slurmrestd unreachable")

    monkeypatch.setattr(DryRunBackend, "read_cluster", unreachable)
    run = reconcile_cluster(cluster="kazgpu", now=timezone.now())
    assert run.status == ReconcileStatus.FAILED and "unreachable" in run.error


@pytest.mark.django_db
def test_staff_start_a_run_and_watch_it(client, call_manager, django_capture_on_commit_callbacks):
    client.force_login(call_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("awards:reconcile_start"))
    run = ReconcileRun.objects.get()
    assert response["Location"] == reverse("awards:reconcile_run", args=[run.pk])
    assert run.requested_by == call_manager and run.status == ReconcileStatus.DONE
    page = client.get(response["Location"]).content.decode()
    assert "the cluster matches the portal" in page
    assert 'hx-trigger="every 2s"' not in page  # finished: no more polling


@pytest.mark.django_db
def test_an_unfinished_run_polls_and_htmx_gets_only_the_region(client, call_manager):
    run = ReconcileRun.objects.create(cluster="kazgpu")
    client.force_login(call_manager)
    url = reverse("awards:reconcile_run", args=[run.pk])
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    region = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert region.lstrip().startswith('<div id="progress"') and "<html" not in region
