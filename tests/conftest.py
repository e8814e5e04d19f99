"""Fixtures shared by every test. Users per role come ready to log in."""

import pytest
import redis

from allocations.accounts.models import Role
from tests import factories


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create hundreds of users; the production hasher costs ~0.3 s per password.
    Nothing here tests the hasher itself (Django does)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded files go to a temporary private directory, never the developer's."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def applicant(db):
    return factories.UserFactory()


@pytest.fixture
def other_applicant(db):
    return factories.UserFactory()


@pytest.fixture
def reviewer(db):
    return factories.make_staff(Role.REVIEWER)


@pytest.fixture
def assessor(db):
    return factories.make_staff(Role.TECHNICAL_ASSESSOR)


@pytest.fixture
def call_manager(db):
    return factories.make_staff(Role.CALL_MANAGER)


@pytest.fixture
def finance(db):
    return factories.make_staff(Role.FINANCE)


@pytest.fixture
def import_desk(db):
    return factories.make_staff(Role.IMPORT_DESK)


@pytest.fixture
def admin_user(db):
    return factories.make_staff(Role.ADMIN)


ROLE_FIXTURES = [
    "anonymous",
    "applicant",
    "reviewer",
    "assessor",
    "call_manager",
    "finance",
    "import_desk",
    "admin_user",
]


@pytest.fixture
def client_as(client, request):
    """client_as("call_manager") returns a test client logged in as that fixture's user."""

    def _login(fixture_name: str):
        if fixture_name == "anonymous":
            return client, None
        user = request.getfixturevalue(fixture_name)
        client.force_login(user)
        return client, user

    return _login


@pytest.fixture
def broker():
    """Celery sends to Redis (not eagerly) for the length of the test; Redis is emptied.

    With a worker from tests/worker.py, tasks run in another process on the same database.
    """
    from portal.celery import app as celery_app
    from tests.worker import BROKER_URL, point_celery_at

    client = redis.Redis.from_url(BROKER_URL)
    client.ping()  # fails loudly if Redis is not running: the test must not pass silently
    client.flushdb()
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    point_celery_at(BROKER_URL, eager=False)
    yield client
    point_celery_at(saved[0], eager=saved[1])
    client.flushdb()
