"""A small JSON client for slurmrestd: JWT headers, timeouts, Slurm's error lists.

The standard library is enough: one request at a time, JSON in and out. Every failure
becomes a SchedulerError (the scheduler said no) or SchedulerUnavailable (no usable
answer), with text staff can act on.
"""

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from allocations.scheduler.backends import SchedulerError, SchedulerUnavailable
from allocations.scheduler.backends.mappings import Request


class RestClient:
    def __init__(
        self,
        *,
        base_url: str,
        user: str,
        token: Callable[[], str],
        timeout: float,
        errors: Callable[[Any], list[dict]],
    ):
        self.base_url = base_url.rstrip("/")
        self.user = user
        self.token = token
        self.timeout = timeout
        self.errors = errors
        self.calls = 0

    def url(self, request: Request) -> str:
        # Slurm refuses epochs and bare colons in query values: everything is encoded.
        query = urllib.parse.urlencode(request.query, quote_via=urllib.parse.quote, safe="")
        return self.base_url + request.path + (f"?{query}" if query else "")

    def send(self, request: Request) -> dict:
        """Send one request; return the JSON body, or raise with the scheduler's words."""
        data = None if request.body is None else json.dumps(request.body).encode()
        http_request = urllib.request.Request(
            self.url(request),
            data=data,
            method=request.method,
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "X-SLURM-USER-NAME": self.user,
                "X-SLURM-USER-TOKEN": self.token(),
            },
        )
        self.calls += 1
        where = f"{request.method} {request.path}"
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except TimeoutError as error:
            raise SchedulerUnavailable(
                f"{where}: no answer within {self.timeout:g} s ({error})"
            ) from error
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            # Refused connection, or a daemon that died mid-reply (empty answer).
            reason = getattr(error, "reason", error)
            raise SchedulerUnavailable(f"{where}: slurmrestd unreachable ({reason})") from error
        return self._checked(request, where, status, raw)

    def _checked(self, request: Request, where: str, status: int, raw: bytes) -> dict:
        if status == 401:
            raise SchedulerError(f"{where}: HTTP 401, the REST token was refused or is missing")
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            text = raw[:300].decode("utf-8", "replace").strip()
            if status >= 500:
                raise SchedulerUnavailable(f"{where}: HTTP {status} {text}") from None
            raise SchedulerError(f"{where}: HTTP {status} {text}") from None
        errors = self.errors(body)
        if errors and all(e.get("error_number") in request.empty_error_numbers for e in errors):
            return {}  # "nothing found" is an empty answer, not a failure
        real = [e for e in errors if e.get("description") not in request.harmless_errors]
        if real:
            raise SchedulerError(f"{where}: " + "; ".join(_describe(e) for e in real))
        if status >= 400 and not errors:
            raise SchedulerError(f"{where}: HTTP {status}")
        return body


def _describe(error: dict) -> str:
    parts = [str(error.get(key)) for key in ("description", "error") if error.get(key)]
    number = error.get("error_number")
    text = " – ".join(dict.fromkeys(parts)) or "unknown error"
    return f"{text} (error {number})" if number else text
