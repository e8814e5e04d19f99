"""A real Celery worker process consumes a task from the Redis broker on this machine.

The task sends an e-mail through the mailbox backend; the worker writes the mailbox row
into the same PostgreSQL test database, where this test finds it.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from allocations.core.models import MailboxMessage
from allocations.core.notifications import notify
from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
BROKER_URL = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database only on PostgreSQL")
    user = db.get("USER") or "postgres"
    return (
        f"postgresql://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


@pytest.fixture
def broker():
    client = redis.Redis.from_url(BROKER_URL)
    client.ping()  # fails loudly if Redis is not running: the test must not pass silently
    client.flushdb()
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    _point_celery_at(BROKER_URL, eager=False)
    yield client
    _point_celery_at(saved[0], eager=saved[1])
    client.flushdb()


def _point_celery_at(url, *, eager):
    """Switch the app's broker; drop connection pools an earlier (eager) test may have built."""
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = eager
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker(broker):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "allocations.core.mail.MailboxOnlyBackend",
    }
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    log = open(ROOT / "test-artifacts" / "celery-worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "-Q",
            "default,mail,scheduler,documents",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def test_worker_consumes_email_task_from_redis(worker, broker):
    notify(
        to=["someone@example.org"],
        template="worker_probe",
        context={"name": "Worker probe"},
        language="ru",
    )
    # The message sits in Redis until the worker takes it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if MailboxMessage.objects.filter(to="someone@example.org").exists():
            break
        assert worker.poll() is None, "the Celery worker exited early; see test-artifacts/"
        time.sleep(0.5)
    message = MailboxMessage.objects.get(to="someone@example.org")
    assert "Worker probe" in message.body
    # Rendered by the worker in the recipient's language (Russian subject line).
    assert message.subject == "Проверка доставки"
