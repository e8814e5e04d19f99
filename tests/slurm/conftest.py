"""The real single-node Slurm cluster of scripts/slurm-cluster, started once per session.

`scripts/slurm-cluster start` is idempotent: on a running cluster it only re-checks health
and refreshes the token. The cluster is left running after the session (stop it with
`scripts/slurm-cluster stop`).
"""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "slurm-cluster"
STATE = Path(os.environ.get("SLURM_STATE_DIR") or "/var/lib/portal-slurm")
START_TIMEOUT = 300  # seconds; a cold start that installs the packages takes about 40


def parse_env_file(path):
    """KEY=VALUE lines (no quoting) into a dict; blank lines and comments are skipped."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


@pytest.fixture(scope="session")
def slurm_cluster():
    """Start (or re-check) the cluster and yield its portal.env as a dict."""
    try:
        result = subprocess.run(
            [str(SCRIPT), "start"],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"scripts/slurm-cluster start did not finish within {START_TIMEOUT} s")
    if result.returncode != 0:
        pytest.fail(
            f"scripts/slurm-cluster start failed (exit {result.returncode}):\n"
            f"{result.stderr[-4000:]}"
        )
    yield parse_env_file(STATE / "portal.env")


@pytest.fixture(scope="session")
def slurm_run(slurm_cluster):
    """Run a Slurm client command (sinfo, sbatch, sacctmgr...) against this cluster."""
    env = {**os.environ, "SLURM_CONF": slurm_cluster["SLURM_CONF"]}
    # A token in the environment would switch the commands from munge to JWT.
    env.pop("SLURM_JWT", None)

    def run(*args, timeout=60):
        result = subprocess.run(
            list(args), capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
        if result.returncode != 0:
            pytest.fail(f"{' '.join(args)} failed (exit {result.returncode}):\n{result.stderr}")
        return result.stdout

    return run


# --- The portal's slurm-rest backend against this cluster ---------------------------------

# Linux users the tests give cluster usernames to (jobs run as them via sbatch --uid).
CLUSTER_USERS = ("pt_alice", "pt_bob", "pt_carol", "pt_dana")
# The tests' accounts get their own prefix (SLURM_ACCOUNT_PREFIX), so nothing else on the
# cluster (the benchmark's accounts, an operator's) is ever touched by the clean-up below.
TEST_PREFIX = "t"
TEST_ACCOUNT = rf"^{TEST_PREFIX}[0-9]+_a[0-9]+(_r[0-9]+)?$"


@pytest.fixture(scope="session")
def cluster_users(slurm_cluster):
    """Real Linux users for the tests' cluster usernames (created once per machine)."""
    for name in CLUSTER_USERS:
        if subprocess.run(["id", "-u", name], capture_output=True).returncode != 0:
            subprocess.run(
                ["useradd", "--system", "--user-group", "--no-create-home", "--shell",
                 "/usr/sbin/nologin", name],
                check=True,
            )  # fmt: skip
    return CLUSTER_USERS


@pytest.fixture(scope="session")
def clean_cluster(slurm_cluster, slurm_run, cluster_users):
    """Remove what earlier test sessions left: the tests' accounts (the test database
    starts its ids at 1 again, so names repeat) and the test users' Slurm records."""
    import re

    pattern = re.compile(TEST_ACCOUNT)
    accounts = {
        line.split("|")[0]
        for line in slurm_run("sacctmgr", "-n", "-P", "list", "account", "format=account").split()
        if pattern.match(line.split("|")[0])
    }
    for user in cluster_users if accounts else ():
        slurm_run("scancel", f"--user={user}")
    users = [u for u in cluster_users if u in slurm_run("sacctmgr", "-n", "-P", "list", "user")]
    if users:
        slurm_run("sacctmgr", "-i", "delete", "user", "name=" + ",".join(users))
    for chunk in _chunks(sorted(accounts), 200):
        slurm_run("sacctmgr", "-i", "delete", "account", "name=" + ",".join(chunk))
    return slurm_cluster


def _chunks(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


@pytest.fixture
def slurm_rest(settings, clean_cluster):
    """Point the portal at this cluster's slurmrestd (the real `slurm-rest` backend)."""
    settings.SCHEDULER_BACKEND = "slurm-rest"
    settings.SLURM_REST_URL = clean_cluster["SLURM_REST_URL"]
    settings.SLURM_REST_USER = clean_cluster["SLURM_REST_USER"]
    settings.SLURM_REST_TOKEN = clean_cluster["SLURM_REST_TOKEN"]
    settings.SLURM_REST_API_VERSION = clean_cluster["SLURM_REST_API_VERSION"]
    settings.SLURM_CLUSTER_NAME = clean_cluster["SLURM_CLUSTER_NAME"]
    settings.SLURM_REST_TIMEOUT = 15.0
    settings.SLURM_ACCOUNT_PREFIX = TEST_PREFIX
    return clean_cluster


@pytest.fixture
def associations(slurm_run):
    """associations("p00001_a000001") -> {"limit": "gres/gpu=600" or "", "users": {...}}."""

    def read(account):
        out = slurm_run(
            "sacctmgr", "-n", "-P", "show", "assoc", f"account={account}",
            "format=account,user,grptresmins",
        )  # fmt: skip
        found = {"exists": False, "limit": "", "users": set()}
        for line in out.splitlines():
            name, user, limit = line.split("|")
            if name != account:
                continue
            found["exists"] = True
            if user:
                found["users"].add(user)
            else:
                found["limit"] = limit
        return found

    return read
