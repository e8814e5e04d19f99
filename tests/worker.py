"""A real Celery worker process on the Redis broker, sharing the PostgreSQL test database.

Used by the tests marked `celery_worker` (and the scheduler outage test): the test
process sends tasks to Redis; the worker takes them and writes into the same database.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
BROKER_URL = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
QUEUES = "default,mail,scheduler,documents"


def database_url() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database only on PostgreSQL")
    user = db.get("USER") or "postgres"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgresql://{user}@{host}:{port}/{db['NAME']}"


def point_celery_at(url, *, eager):
    """Switch the app's broker; drop the connection pools an earlier test built.

    kombu also keeps producer pools in a process-wide registry keyed by broker URL: a later
    test on the same broker would otherwise get a pool closed here ("Acquire on closed pool").
    """
    from kombu import pools

    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = eager
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pools.reset()


def start_worker(*, log_name: str, extra_env: dict | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "allocations.core.mail.MailboxOnlyBackend",
        **(extra_env or {}),
    }
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    log = open(ROOT / "test-artifacts" / log_name, "w")  # noqa: SIM115 (closed by stop_worker)
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
            "-Q", QUEUES, "--without-heartbeat", "--without-gossip", "--without-mingle",
            "-l", "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    process.log_file = log
    return process


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    process.log_file.close()
