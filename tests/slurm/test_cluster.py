"""The local Slurm cluster works end to end: REST API, node with 8 GPUs, GPU accounting."""

import json
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.slurm

SENTINEL_ACCOUNT = "portal_sentinel"


def rest_get(cluster, path, *, token=True):
    """GET a slurmrestd path; return (HTTP status, decoded JSON body or None)."""
    headers = {"Accept": "application/json"}
    if token:
        headers["X-SLURM-USER-NAME"] = cluster["SLURM_REST_USER"]
        headers["X-SLURM-USER-TOKEN"] = cluster["SLURM_REST_TOKEN"]
    request = urllib.request.Request(cluster["SLURM_REST_URL"] + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def test_env_file_names_the_cluster(slurm_cluster):
    assert slurm_cluster["SLURM_REST_URL"] == "http://127.0.0.1:16820"
    assert slurm_cluster["SLURM_REST_USER"] == "portal"
    assert slurm_cluster["SLURM_REST_API_VERSION"] == "v0.0.38"
    assert slurm_cluster["SLURM_CLUSTER_NAME"] == "kazgpu"
    assert slurm_cluster["SLURM_REST_TOKEN"].count(".") == 2  # a JWT


def test_rest_diag_answers_with_the_token(slurm_cluster):
    version = slurm_cluster["SLURM_REST_API_VERSION"]
    status, body = rest_get(slurm_cluster, f"/slurm/{version}/diag")
    assert status == 200
    # Slurm reports failures in the body's errors list, even on HTTP 200.
    assert body["errors"] == []
    assert "statistics" in body


def test_rest_without_token_is_refused(slurm_cluster):
    version = slurm_cluster["SLURM_REST_API_VERSION"]
    status, _ = rest_get(slurm_cluster, f"/slurm/{version}/diag", token=False)
    assert status == 401


def test_sinfo_shows_the_node_with_eight_gpus(slurm_run):
    lines = slurm_run("sinfo", "-h", "-N", "-p", "h200", "-o", "%N|%G|%T").split()
    assert len(lines) == 1
    node, gres, state = lines[0].split("|")
    assert gres == "gpu:8"
    assert state in {"idle", "mixed", "allocated", "completing"}, (node, state)


def ensure_root_association(slurm_run, cluster_name):
    """root may submit to the sentinel account (AccountingStorageEnforce=associations)."""
    where = f"cluster={cluster_name} account={SENTINEL_ACCOUNT} user=root"
    found = slurm_run(*f"sacctmgr -n -P list associations {where} format=user".split())
    if "root" not in found.split():
        slurm_run(
            *f"sacctmgr -i add user root account={SENTINEL_ACCOUNT} cluster={cluster_name}".split()
        )


def test_gpu_job_runs_and_is_accounted(slurm_cluster, slurm_run):
    ensure_root_association(slurm_run, slurm_cluster["SLURM_CLUSTER_NAME"])
    options = (
        f"--parsable --account={SENTINEL_ACCOUNT} --partition=h200 --gres=gpu:1 --time=1"
        " --chdir=/tmp --output=/dev/null --job-name=cluster-smoke"
    )
    out = slurm_run("sbatch", *options.split(), "--wrap", "sleep 1")
    job_id = out.strip().split(";")[0]  # --parsable prints "ID" or "ID;cluster"
    assert job_id.isdigit(), job_id

    # The job record reaches slurmdbd asynchronously: poll sacct until it is final.
    deadline = time.monotonic() + 90
    state = alloc_tres = ""
    while time.monotonic() < deadline:
        out = slurm_run("sacct", "-n", "-P", "-X", "-j", job_id, "-o", "State,AllocTRES")
        if out.strip():
            state, alloc_tres = out.strip().splitlines()[0].split("|")
            if state == "COMPLETED" and alloc_tres:
                break
            if state in {"FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}:
                break
        time.sleep(1)
    assert state == "COMPLETED", (job_id, state, alloc_tres)
    assert "gres/gpu=1" in alloc_tres.split(","), alloc_tres
