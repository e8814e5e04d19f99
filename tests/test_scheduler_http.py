"""The slurmrestd client's failure handling, for what the real daemon cannot be made to do
on demand (a crash mid-reply, a proxy's HTML page). The real daemon's refusals, outages and
hangs are tested in tests/slurm/."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from allocations.scheduler.backends import SchedulerError, SchedulerUnavailable
from allocations.scheduler.backends.http import RestClient
from allocations.scheduler.backends.mappings import Request
from allocations.scheduler.backends.mappings.v0_0_38 import MISSING_USER, Mapping


def _errors(*errors) -> bytes:
    return json.dumps({"errors": list(errors)}).encode()


REPLIES: dict[str, tuple[int, bytes]] = {
    "/ok": (200, json.dumps({"errors": [], "accounts": []}).encode()),
    "/harmless": (200, _errors({"description": MISSING_USER})),
    "/refused": (500, _errors({"description": "Invalid account", "error_number": 2010})),
    "/nothing": (500, _errors({"description": "Nothing found", "error_number": 9003})),
    "/token": (401, b"Authentication failure"),
    "/proxy": (502, b"<html>Bad gateway</html>"),
    "/teapot": (418, b""),
}


class Handler(BaseHTTPRequestHandler):
    def _answer(self):
        if self.path.startswith("/crash"):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)  # as a segfaulting daemon does
            return
        status, body = REPLIES[self.path.split("?")[0]]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def client(url, timeout=2.0):
    return RestClient(
        base_url=url, user="portal", token=lambda: "t", timeout=timeout, errors=Mapping().errors
    )


def test_a_clean_reply_is_returned(server):
    assert client(server).send(Request("GET", "/ok")) == {"errors": [], "accounts": []}


def test_known_harmless_errors_are_ignored_only_where_declared(server):
    declared = Request("POST", "/harmless", body={}, harmless_errors=(MISSING_USER,))
    assert client(server).send(declared)["errors"]
    with pytest.raises(SchedulerError, match="Missing required field"):
        client(server).send(Request("POST", "/harmless", body={}))


def test_the_schedulers_own_words_are_kept(server):
    with pytest.raises(SchedulerError, match=r"Invalid account \(error 2010\)") as error:
        client(server).send(Request("POST", "/refused", body={}))
    assert not isinstance(error.value, SchedulerUnavailable)


def test_nothing_found_is_an_empty_answer_where_declared(server):
    assert client(server).send(Request("GET", "/nothing", empty_error_numbers=(9003,))) == {}


@pytest.mark.parametrize(
    ("path", "kind", "words"),
    [
        ("/token", SchedulerError, "token was refused"),
        ("/proxy", SchedulerUnavailable, "HTTP 502"),
        ("/teapot", SchedulerError, "HTTP 418"),
        ("/crash", SchedulerUnavailable, "unreachable"),
    ],
)
def test_failures_are_named(server, path, kind, words):
    with pytest.raises(kind, match=words):
        client(server).send(Request("GET", path))


def test_a_closed_port_is_an_outage():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SchedulerUnavailable, match="unreachable"):
        client(f"http://127.0.0.1:{port}").send(Request("GET", "/ok"))


def test_query_values_are_percent_encoded():
    url = client("http://h").url(
        Request("GET", "/jobs", query={"start_time": "2026-11-23T00:14:34"})
    )
    assert url == "http://h/jobs?start_time=2026-11-23T00%3A14%3A34"
