"""Scheduler integration (issue 4), against the real local Slurm cluster:

- provision_{median,max}_s: from an approval's commit to its account association (with
  the GPU limit) being visible in slurmdbd's database, with a real Celery worker on
  Redis using the slurm-rest backend; 20 approvals, one after another.
- reconcile_2000_s: one reconcile of 2,000 allocations' accounts (a bulk read of every
  association of the cluster, the comparison and the stored findings).
"""

import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from allocations.accounts.models import Organisation, OrganisationCategory, Role, RoleGrant, User
from allocations.applications.models import (
    Application,
    ApplicationState,
    Project,
    ProjectMember,
    ResourceRequest,
    TeamRole,
)
from allocations.awards import services as award_services
from allocations.awards.models import DecisionOutcome
from allocations.awards.provisioning import account_name
from allocations.calls.models import Call, CallResource, Resource, Track
from allocations.scheduler.models import (
    OperationReason,
    OperationState,
    SchedulerAccount,
    SchedulerOperation,
)
from allocations.scheduler.reconcile import reconcile_cluster
from benchmarks.common import bench
from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "slurm-cluster"
STATE = Path(os.environ.get("SLURM_STATE_DIR") or "/var/lib/portal-slurm")
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
APPROVALS = 20
RECONCILE_ACCOUNTS = 2_000
BENCH_USER = "pt_bench"
PREFIX = "b"  # a Linux user kept for the benchmark's user associations


def _cluster_env() -> dict[str, str]:
    subprocess.run([str(SCRIPT), "start"], check=True, capture_output=True, timeout=600)
    pairs = (line.split("=", 1) for line in (STATE / "portal.env").read_text().splitlines())
    return {key: value for key, value in pairs if key}


def _slurm(env, *args, timeout=600) -> str:
    run_env = {**os.environ, "SLURM_CONF": env["SLURM_CONF"]}
    run_env.pop("SLURM_JWT", None)
    return subprocess.run(
        list(args), check=True, capture_output=True, text=True, env=run_env, timeout=timeout
    ).stdout


def _db(sql: str) -> str:
    """A query on slurmdbd's own MariaDB (the private instance of scripts/slurm-cluster)."""
    socket = STATE / "mysql" / "mariadb.sock"
    return subprocess.run(
        ["mariadb", "--no-defaults", f"--socket={socket}", "-u", "root", "-N", "-B", "-e", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _rest_settings(env) -> dict:
    return {
        # The benchmark's own account prefix: tests (prefix t) and the benchmark never
        # delete each other's accounts.
        "SLURM_ACCOUNT_PREFIX": PREFIX,
        "SCHEDULER_BACKEND": "slurm-rest",
        "SLURM_REST_URL": env["SLURM_REST_URL"],
        "SLURM_REST_USER": env["SLURM_REST_USER"],
        "SLURM_REST_TOKEN": env["SLURM_REST_TOKEN"],
        "SLURM_REST_API_VERSION": env["SLURM_REST_API_VERSION"],
        "SLURM_CLUSTER_NAME": env["SLURM_CLUSTER_NAME"],
    }


# --- provisioning latency ---------------------------------------------------------------


def _seed_applications(cluster: str) -> tuple[User, list[Application]]:
    now = timezone.now()
    resource = Resource.objects.create(
        name="Bench H200", cluster=cluster, partition="h200", capacity_gpu_hours=10**9
    )
    call = Call.objects.create(
        title="Scheduler bench call",
        slug="scheduler-bench-call",
        track=Track.ACADEMIC,
        is_published=True,
        is_continuous=True,
        opens_at=now - timedelta(days=1),
        eligible_categories=[c.value for c in OrganisationCategory],
    )
    CallResource.objects.create(call=call, resource=resource, capacity_gpu_hours=10**8)
    manager = User.objects.create_user("scheduler-manager@bench.kz", "x")
    RoleGrant.objects.create(user=manager, role=Role.CALL_MANAGER)
    applications = []
    for i in range(APPROVALS):
        pi = User.objects.create_user(f"scheduler-pi{i}@bench.kz", "x")
        org = Organisation.objects.create(
            legal_name=f"Scheduler Org {i}", country="DE", category=OrganisationCategory.STARTUP
        )
        project = Project.objects.create(title=f"Scheduler project {i}", organisation=org, pi=pi)
        ProjectMember.objects.create(project=project, user=pi, role=TeamRole.PI)
        application = Application.objects.create(
            project=project,
            call=call,
            state=ApplicationState.PANEL,
            submitted_at=now,
            start_date=now.date(),
            duration_months=6,
            justification="Benchmark",
            created_by=pi,
        )
        ResourceRequest.objects.create(application=application, resource=resource, gpu_hours=100)
        applications.append(application)
    return manager, applications


def _start_worker(env) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    worker_env = {
        **os.environ,
        **_rest_settings(env),
        "DATABASE_URL": f"postgresql://{db.get('USER') or 'postgres'}@"
        f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    log = open(ROOT / "benchmarks" / "celery-worker-bench.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "-Q",
         "scheduler,default,mail,documents", "--without-heartbeat", "--without-gossip",
         "--without-mingle", "-l", "warning"],
        cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _visible(account: str, tres_id: str, minutes: int) -> bool:
    limits = _db(
        "SELECT grp_tres_mins FROM slurm_acct_db.kazgpu_assoc_table "
        f"WHERE acct='{account}' AND user='' AND deleted=0"
    )
    return f"{tres_id}={minutes}" in limits.split(",")


def _forget_earlier_runs(env, applications) -> None:
    """A fresh bench database gives the same ids, so the same account names, as the last
    run: delete those accounts so each sample measures a real creation."""
    with override_settings(SLURM_ACCOUNT_PREFIX=PREFIX):
        names = [account_name(project_id=a.project_id, application_id=a.pk) for a in applications]
    quoted = ",".join(f"'{n}'" for n in names)
    left = _db(
        "SELECT DISTINCT acct FROM slurm_acct_db.kazgpu_assoc_table "
        f"WHERE deleted=0 AND acct IN ({quoted})"
    ).split()
    if left:
        _slurm(env, "sacctmgr", "-i", "delete", "account", "name=" + ",".join(left))


def _provision(env) -> None:
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    manager, applications = _seed_applications(env["SLURM_CLUSTER_NAME"])
    _forget_earlier_runs(env, applications)
    tres_id = _db("SELECT id FROM slurm_acct_db.tres_table WHERE type='gres' AND name='gpu'")
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = BROKER, False
    worker = _start_worker(env)
    samples = []
    prefix = override_settings(SLURM_ACCOUNT_PREFIX=PREFIX)
    prefix.enable()
    try:
        time.sleep(3)  # the worker connects to the broker
        for application in applications:
            award_services.decide(
                actor=manager,
                application_id=application.pk,
                outcome=DecisionOutcome.APPROVED,
                reason="Benchmark",
                amounts={application.requests.get().resource_id: 100},
                start_date=timezone.localdate(),
                end_date=timezone.localdate() + timedelta(days=90),
                now=timezone.now(),
            )
            committed = time.perf_counter()
            account = application.allocations.get().slurm_account
            deadline = committed + 60
            while not _visible(account, tres_id, 6000):
                if time.perf_counter() > deadline or worker.poll() is not None:
                    raise RuntimeError(f"{account} not provisioned; see benchmarks/*.log")
                time.sleep(0.02)
            samples.append(time.perf_counter() - committed)
    finally:
        prefix.disable()
        worker.terminate()
        worker.wait(timeout=30)
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    bench("provision_median_s", f"{statistics.median(samples):.2f}", "s")
    bench("provision_max_s", f"{max(samples):.2f}", "s")


# --- reconcile of 2,000 accounts -------------------------------------------------------


def _reconcile_names() -> list[str]:
    return [f"{PREFIX}9{i:04d}_a9{i:05d}" for i in range(RECONCILE_ACCOUNTS)]


def _ensure_cluster_accounts(env, names: list[str]) -> None:
    """Create the benchmark's accounts once per machine (slow: about a minute), then reuse."""
    if subprocess.run(["id", "-u", BENCH_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", BENCH_USER], check=True)
    have = set(_db("SELECT acct FROM slurm_acct_db.kazgpu_assoc_table WHERE deleted=0 "
                   f"AND user='{BENCH_USER}' AND acct LIKE '{PREFIX}9%'").split())  # fmt: skip
    missing = [n for n in names if n not in have]
    for start in range(0, len(missing), 500):
        chunk = ",".join(missing[start : start + 500])
        cluster = env["SLURM_CLUSTER_NAME"]
        _slurm(env, "sacctmgr", "-i", "add", "account", chunk, "parent=root",
               f"cluster={cluster}", "GrpTRESMins=gres/gpu=6000")  # fmt: skip
        _slurm(env, "sacctmgr", "-i", "add", "user", BENCH_USER, f"account={chunk}",
               f"cluster={cluster}")  # fmt: skip


def _reconcile(env) -> None:
    names = _reconcile_names()
    _ensure_cluster_accounts(env, names)
    cluster = env["SLURM_CLUSTER_NAME"]
    drifted = set(names[:: RECONCILE_ACCOUNTS // 10])  # the portal now wants more on 10
    accounts = SchedulerAccount.objects.bulk_create(
        SchedulerAccount(
            cluster=cluster,
            name=name,
            gpu_minutes=6060 if name in drifted else 6000,
            users=[BENCH_USER],
            desired_version=1,
            applied_version=1,
        )
        for name in names
    )
    SchedulerOperation.objects.bulk_create(
        SchedulerOperation(
            account=account,
            version=1,
            reason=OperationReason.APPROVAL,
            gpu_minutes=account.gpu_minutes,
            users=account.users,
            state=OperationState.DONE,
        )
        for account in accounts
    )
    with override_settings(**_rest_settings(env)):
        started = time.perf_counter()
        run = reconcile_cluster(cluster=cluster, now=timezone.now(), repair=False)
        elapsed = time.perf_counter() - started
    found = {f["account"] for f in run.findings if f["kind"] == "limit_differs"}
    if run.error or not drifted <= found:
        raise RuntimeError(f"reconcile missed drift: {run.error or sorted(drifted - found)}")
    bench("reconcile_2000_s", f"{elapsed:.2f}", "s")


def run() -> None:
    env = _cluster_env()
    _provision(env)
    _reconcile(env)
