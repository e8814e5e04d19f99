"""Periodic jobs are declared in code and point at tasks that exist; routes cover every area."""

import pytest

from portal.celery import app

# Celery's Django fix-up runs the system checks when the task modules load; they touch the DB.
pytestmark = pytest.mark.django_db


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    missing = [e["task"] for e in app.conf.beat_schedule.values() if e["task"] not in app.tasks]
    assert not missing


def test_every_portal_task_is_routed_to_a_named_queue():
    app.loader.import_default_modules()
    portal_tasks = [name for name in app.tasks if name.startswith("allocations.")]
    assert portal_tasks
    for name in portal_tasks:
        route = app.amqp.router.route({}, name)
        assert route["queue"].name in {"default", "mail", "scheduler", "documents"}, name
