"""`check --deploy` is clean with the production variables the README documents,
and warns about each development default left on."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    for line in (ROOT / "docs" / "production.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


def _check(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_documented_production_settings():
    result = _check(_production_env())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_deploy_check_warns_about_development_defaults():
    env = _production_env()
    for key in (
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "EMAIL_BACKEND",
        "DJANGO_SECURE_SSL_REDIRECT",
        "SCHEDULER_BACKEND",
    ):
        env.pop(key, None)
    env["DJANGO_HSTS_SECONDS"] = "0"
    result = _check(env)
    output = result.stdout + result.stderr
    for warning_id in ("portal.W001", "portal.W002", "portal.W003", "portal.W004", "security.W004"):
        assert warning_id in output
