"""A real Celery worker process consumes a task from the Redis broker on this machine.

The task sends an e-mail through the mailbox backend; the worker writes the mailbox row
into the same PostgreSQL test database, where this test finds it.
"""

import time

import pytest

from allocations.core.models import MailboxMessage
from allocations.core.notifications import notify
from tests.worker import start_worker, stop_worker

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(broker):
    process = start_worker(log_name="celery-worker.log")
    yield process
    stop_worker(process)


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
