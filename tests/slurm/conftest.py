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
