"""Reading jobs: both mappings against recorded replies, the slurm-rest backend over HTTP,
and the demo source (same JSON shape, deterministic, running jobs, an unknown account)."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from allocations.scheduler.backends.http import RestClient
from allocations.scheduler.backends.mappings import JobSnapshot, get_mapping
from allocations.scheduler.backends.slurm_rest import SlurmRestBackend
from allocations.usage.demo_source import UNKNOWN_ACCOUNT, DemoSource, jobs_body
from allocations.usage.sources import get_source

EXAMPLES = Path(__file__).parent / "scheduler_examples"
START = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # 23:00 in Almaty
END = datetime(2026, 3, 10, 20, 0, 0, 500_000, tzinfo=UTC)


def example(version: str, name: str) -> dict:
    return json.loads((EXAMPLES / version / name).read_text())


def utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# --- v0.0.38 (recorded on this machine's Slurm 22.05) -----------------------------------


def test_v0_0_38_request_uses_local_times_without_offset():
    request = get_mapping("v0.0.38").list_jobs(cluster="kazgpu", start=START, end=END)
    assert (request.method, request.path) == ("GET", "/slurmdb/v0.0.38/jobs")
    # Almaty local time, whole seconds, the end rounded up; 9003 means "no jobs".
    assert request.query == {
        "cluster": "kazgpu",
        "start_time": "2026-03-10T23:00:00",
        "end_time": "2026-03-11T01:00:01",
    }
    assert request.empty_error_numbers == (9003,)
    url = RestClient(
        base_url="http://x", user="u", token=lambda: "t", timeout=1, errors=lambda b: []
    ).url(request)
    assert "start_time=2026-03-10T23%3A00%3A00" in url  # colons must be encoded


def test_v0_0_38_jobs_parse_from_the_recorded_reply():
    jobs = get_mapping("v0.0.38").parse_jobs(example("v0.0.38", "response_jobs.json"))
    never, done = jobs
    assert never == JobSnapshot(
        cluster="kazgpu",
        job_id=10,
        account="t00005_a000005",
        username="pt_alice",
        partition="h200",
        state="CANCELLED",
        start=None,
        end=utc(1796185868),
        elapsed_seconds=0,
        gpus=0,
    )
    assert done == JobSnapshot(
        cluster="kazgpu",
        job_id=11,
        account="portal_sentinel",
        username="root",
        partition="h200",
        state="COMPLETED",
        start=utc(1796186159),
        end=utc(1796186184),
        elapsed_seconds=25,  # sacct: ElapsedRaw 25, AllocTRES gres/gpu=2
        gpus=2,
    )


def test_v0_0_38_running_job_has_no_end():
    [running] = get_mapping("v0.0.38").parse_jobs(example("v0.0.38", "response_jobs_running.json"))
    assert (running.state, running.end, running.gpus) == ("RUNNING", None, 2)
    assert running.start == utc(1796186159)


# --- v0.0.42 (written from the published schema) ----------------------------------------


def test_v0_0_42_request_uses_epochs():
    request = get_mapping("v0.0.42").list_jobs(cluster="kazgpu", start=START, end=END)
    assert (request.method, request.path) == ("GET", "/slurmdb/v0.0.42/jobs")
    assert request.query == {
        "cluster": "kazgpu",
        "start_time": str(int(START.timestamp())),
        "end_time": str(int(END.timestamp()) + 1),
    }


def test_v0_0_42_jobs_parse_from_the_schema_example():
    jobs = {
        job.job_id: job
        for job in get_mapping("v0.0.42").parse_jobs(example("v0.0.42", "response_jobs.json"))
    }
    over_midnight = jobs[4101]
    assert (over_midnight.account, over_midnight.username, over_midnight.state) == (
        "portal_a",
        "pt_alice",
        "COMPLETED",
    )
    assert (over_midnight.start, over_midnight.end) == (START, START + timedelta(hours=4))
    assert (over_midnight.elapsed_seconds, over_midnight.gpus) == (14400, 2)
    assert (jobs[4102].state, jobs[4102].end, jobs[4102].gpus) == ("RUNNING", None, 4)
    assert (jobs[4103].state, jobs[4103].start) == ("CANCELLED", None)
    suspended = jobs[4104]
    assert (suspended.account, suspended.elapsed_seconds, suspended.gpus) == ("legacy_hpc", 5400, 8)
    assert (suspended.end - suspended.start).total_seconds() == 7200
    assert (jobs[4105].state, jobs[4105].start) == ("PENDING", None)  # base state first


def test_v0_0_42_nothing_found_is_an_empty_list():
    body = example("v0.0.42", "response_jobs_nothing_found.json")
    assert get_mapping("v0.0.42").parse_jobs(body) == []
    assert get_mapping("v0.0.42").errors(body) == []


# --- the slurm-rest backend, over HTTP ----------------------------------------------------


@pytest.fixture
def slurmrestd():
    """A stand-in daemon answering the jobs GET with recorded replies."""
    seen, replies = [], {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = json.dumps(replies[urlsplit(self.path).path]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", replies, seen
    server.shutdown()


def backend(url: str, version: str) -> SlurmRestBackend:
    mapping = get_mapping(version)
    client = RestClient(
        base_url=url, user="portal", token=lambda: "t", timeout=5, errors=mapping.errors
    )
    return SlurmRestBackend(client=client, mapping=mapping, sentinel_account="portal_sentinel")


def test_slurm_rest_reads_jobs_of_the_cluster(slurmrestd):
    url, replies, seen = slurmrestd
    reply = example("v0.0.38", "response_jobs.json")
    other = {**reply["jobs"][1], "cluster": "elsewhere", "job_id": 99}
    replies["/slurmdb/v0.0.38/jobs"] = {**reply, "jobs": [*reply["jobs"], other]}
    jobs = backend(url, "v0.0.38").read_jobs(cluster="kazgpu", start=START, end=END)
    assert [job.job_id for job in jobs] == [10, 11]  # another cluster's job is left out
    query = parse_qs(urlsplit(seen[0]).query)
    assert query["start_time"] == ["2026-03-10T23:00:00"] and query["cluster"] == ["kazgpu"]


def test_slurm_rest_nothing_found_is_no_jobs(slurmrestd):
    url, replies, _seen = slurmrestd
    replies["/slurmdb/v0.0.38/jobs"] = example("v0.0.38", "response_jobs_nothing_found.json")
    replies["/slurmdb/v0.0.42/jobs"] = example("v0.0.42", "response_jobs_nothing_found.json")
    for version in ("v0.0.38", "v0.0.42"):
        assert backend(url, version).read_jobs(cluster="kazgpu", start=START, end=END) == []


# --- sources and the demo generator -------------------------------------------------------


def test_source_follows_the_scheduler_backend(settings):
    settings.SCHEDULER_BACKEND = "dry-run"
    assert get_source().name == "demo"
    settings.SCHEDULER_BACKEND = "slurm-rest"
    settings.SLURM_REST_URL, settings.SLURM_REST_USER = "http://127.0.0.1:1", "portal"
    settings.SLURM_REST_TOKEN = "t"
    assert get_source().name == "slurm-rest"


def shape(value):
    """The JSON types of a value, nested (lists by their first item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def same_shape(made, recorded, path="job") -> list[str]:
    """Where `made` has a key the recording lacks, or a different type (null matches)."""
    if isinstance(made, dict):
        if not isinstance(recorded, dict):
            return [path]
        return [
            problem
            for key, item in made.items()
            for problem in (
                same_shape(item, recorded[key], f"{path}.{key}")
                if key in recorded
                else [f"{path}.{key}"]
            )
        ]
    if isinstance(made, list):
        return same_shape(made[0], recorded[0], f"{path}[0]") if made and recorded else []
    if made == "NoneType" or recorded == "NoneType":
        return []
    return [] if made == recorded else [f"{path}: {made} vs {recorded}"]


@pytest.mark.django_db
def test_demo_jobs_have_the_recorded_shape_run_and_repeat():
    end = datetime(2026, 3, 12, 6, 0, tzinfo=UTC)
    body = jobs_body(cluster="kazgpu", start=end - timedelta(days=2), end=end)
    recorded = example("v0.0.38", "response_jobs.json")["jobs"][1]
    for job in body["jobs"]:
        assert same_shape(shape(job), shape(recorded)) == []
    jobs = DemoSource().read_jobs(cluster="kazgpu", start=end - timedelta(days=2), end=end)
    assert {job.account for job in jobs} == {UNKNOWN_ACCOUNT}  # no allocations yet
    assert any(job.end is None and job.state == "RUNNING" for job in jobs)
    assert all(job.start < end for job in jobs)
    # The same jobs whatever the window: an overlapping read agrees on the common ones.
    again = DemoSource().read_jobs(cluster="kazgpu", start=end - timedelta(days=1), end=end)
    assert set(again) <= set(jobs) and again
