"""A small synchronous client for any server with the ITG2.0 contract (SPEC 1 and 4).

`send` splits records into requests of at most 1000 records and 1 MiB of JSON, posts them in
order and returns what each one got; `dry_run` sends them the same way with `?dry_run=true`
and returns what the records would give, storing nothing (SPEC 1.11); `process` reads the
Integration Process Monitor; `wait` polls it until the process reaches a final status; `cancel`
asks to stop a process (SPEC 1.9).

Every request of `send` carries an `Idempotency-Key` (SPEC 1.8): a fresh random one, or
`<key_prefix>-<n>` for the request at 0-based position n of the records, reused on every retry
of that request. The server stores a request at most once per key and answers a repeat with the
original answer, so a retry never stores a request twice.

Retries wait `backoff * 2**n` seconds, at most `max_backoff`, or the server's `Retry-After`
seconds when it sends them (honoured as given); they happen at most `retries` times.
- GET (the monitor), the keyed POSTs of `send` and the dry runs (they store nothing, so they
  carry no key) are retried on any network error (a lost answer included), on 429 and on 5xx.
- The cancel POST carries no key. It is sent again only when the server cannot have acted on
  it: the connection was never made or broke while the request was still being written, or the
  server answered 429, 500 or 503 (an error answer changes nothing, SPEC 1.4).
- A request that got a 200 is never sent again.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx
import orjson

from itg import __version__
from itg.errors import ConfigError, ItgError, UsageError
from itg.outcomes import final_status, progress

log = logging.getLogger("itg.client")

MAX_RECORDS = 1000
MAX_BODY_BYTES = 1_048_576
FINAL_STATUSES = frozenset({"done", "warning", "error", "canceled"})
_UNKEYED_POST_RETRY_STATUSES = frozenset({429, 500, 503})
KEY_PREFIX_MAX = 200  # room for "-<n>" within the 255 characters of a key (SPEC 1.8)
# Errors raised before the whole request was written: the server cannot have stored it.
_UNSENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)
# Mistakes of the caller, not the network: retrying cannot help.
_NEVER_RETRIED = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


class ClientError(ItgError):
    """Base of the errors the client raises (the CLI exits with status 2 on them)."""


class ItgHttpError(ClientError):
    """The server answered with an error status; `message` comes from either error shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return f"{self.message} (HTTP {self.status})"


class ItgTransportError(ClientError):
    """The server could not be reached, or its answer was lost or unreadable."""


class UnsendableRecordError(ClientError):
    """A record cannot be sent (not an object, not serialisable, too large); nothing was sent."""

    def __init__(self, index: int, problem: str) -> None:
        super().__init__(f"Record at index {index} {problem}; nothing was sent")
        self.index = index


class DryRunUnsupported(ClientError):
    """The server answered a dry run as an accepted request: it ignores `dry_run` (it is not
    itg), so the records were stored and will be applied."""


class WaitTimeout(ClientError):
    """A process did not reach a final status in time."""


@dataclass(frozen=True)
class Accepted:
    """What the server answered to one request, and which records it carried."""

    company: str
    unique: str
    subunique: str
    message: str
    first_index: int  # position, in the records given to send(), of the request's first record
    count: int
    replayed: bool = False  # the server had already accepted this request (same key)


@dataclass(frozen=True)
class Checked:
    """What a dry run of one request answered (SPEC 1.11), and which records it carried."""

    report: dict[str, Any]  # {"company","dry_run","status","progress","data":{"errors"}}
    first_index: int  # position, in the records given to dry_run(), of its first record
    count: int


def check_route(route: str) -> None:
    """A write route of SPEC 1.4, or UsageError naming the valid ones."""
    from itg.permissions import write_routes  # the route registry: only when a route is named

    if route not in write_routes():
        raise UsageError(f"unknown route name {route!r} (use {', '.join(write_routes())})")


def is_final(report: Mapping[str, Any]) -> bool:
    """Anything but done/warning/error/canceled (queued, processing, unknown) is unfinished."""
    return report.get("status") in FINAL_STATUSES


def report_errors(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The failed records of a process report (`data.errors`), [] when there are none."""
    data = report.get("data")
    errors = data.get("errors") if isinstance(data, dict) else None
    return (
        [error for error in errors if isinstance(error, dict)] if isinstance(errors, list) else []
    )


def report_progress(report: Mapping[str, Any]) -> tuple[int, int | None]:
    """(done, total) of a report; the public API sends both as strings."""
    progress = report.get("progress")
    progress = progress if isinstance(progress, dict) else {}
    return _int(progress.get("done")) or 0, _int(progress.get("total"))


def check_key_prefix(prefix: str) -> None:
    """A prefix that makes valid keys `prefix-<n>` (SPEC 1.8), or UsageError."""
    if not 1 <= len(prefix) <= KEY_PREFIX_MAX or not all("!" <= c <= "~" for c in prefix):
        raise UsageError(
            f"the key prefix must be 1 to {KEY_PREFIX_MAX} visible ASCII characters"
            f" (no spaces), got {prefix!r}"
        )


def split_requests(sizes: Sequence[int], max_records: int, max_body_bytes: int) -> Iterator[range]:
    """Consecutive ranges of records whose JSON array body `[r0,r1,…]` fits both limits.

    `sizes` are the serialised sizes of the records; each must fit alone (2 + size bytes).
    """
    start, body = 0, 2
    for index, size in enumerate(sizes):
        count = index - start
        if count and (count == max_records or body + 1 + size > max_body_bytes):
            yield range(start, index)
            start, body = index, 2
        body += size + (1 if index > start else 0)
    if start < len(sizes):
        yield range(start, len(sizes))


def _tls_context(scheme: str) -> ssl.SSLContext | bool:
    """What httpx verifies TLS with: the default CA bundle for https://.

    Loading that bundle is about 40 ms, the largest part of `itg status`'s start-up, and an
    http:// server never negotiates TLS (redirects are not followed). It gets a context that
    trusts no certificate, which costs nothing to build and would fail closed if TLS were
    ever reached.
    """
    if scheme == "https":
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class Client:
    """A connection to one ITG2.0 server as one service user. Use it as a context manager.

    `url`, `username` and `password` default to ITG_URL, ITG_USERNAME and ITG_PASSWORD.
    `timeout` bounds each HTTP exchange (seconds); `retries`, `backoff` and `max_backoff` are
    the retry policy of the module docstring; `poll_interval` paces `wait`; `max_records` and
    `max_body_bytes` are the server's request limits (ITG_MAX_RECORDS, ITG_MAX_BODY_BYTES).
    """

    def __init__(
        self,
        url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        poll_interval: float = 0.5,
        max_records: int = MAX_RECORDS,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        base_url = _setting(url, "ITG_URL", "url", "server URL")
        try:
            scheme = httpx.URL(base_url).scheme
        except httpx.InvalidURL as exc:
            raise ConfigError(f"invalid server URL {base_url!r}: {exc}") from None
        if scheme not in ("http", "https"):
            raise ConfigError(f"the server URL must start with http:// or https://: {base_url!r}")
        auth = httpx.BasicAuth(
            _setting(username, "ITG_USERNAME", "username", "username"),
            _setting(password, "ITG_PASSWORD", "password", "password"),
        )
        self.url = base_url.rstrip("/")
        self.retries, self.backoff, self.max_backoff = retries, backoff, max_backoff
        self.poll_interval = poll_interval
        self.max_records, self.max_body_bytes = max_records, max_body_bytes
        headers = {"Accept-Version": "v2", "User-Agent": f"itg-client/{__version__}"}
        self._http = httpx.Client(
            base_url=self.url,
            auth=auth,
            timeout=timeout,
            headers=headers,
            verify=_tls_context(scheme),
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def send(
        self,
        route: str,
        records: Sequence[Mapping[str, Any]],
        *,
        on_accepted: Callable[[Accepted], None] | None = None,
        key_prefix: str | None = None,
    ) -> list[Accepted]:
        """Post `records` in order, in as many requests as the limits need; [] for no records.

        Every record is serialised and checked first, so a record that cannot be sent (not an
        object, or alone over the body limit) raises UnsendableRecordError before any request
        is made.
        `on_accepted` is called after each accepted request (before the next is sent).
        `key_prefix` makes the idempotency keys `<key_prefix>-<n>` (n: the request's 0-based
        position), so sending the same records again re-sends nothing already accepted.
        """
        check_route(route)
        if key_prefix is not None:
            check_key_prefix(key_prefix)
        accepted: list[Accepted] = []
        for position, (batch, body) in enumerate(self._bodies(records)):
            key = uuid.uuid4().hex if key_prefix is None else f"{key_prefix}-{position}"
            headers = {"Content-Type": "application/json", "Idempotency-Key": key}
            response = self._request("POST", f"/{route}", content=body, headers=headers)
            replayed = response.headers.get("idempotent-replayed") == "true"
            accepted.append(_accepted(_decode_answer(response), batch, replayed))
            if on_accepted is not None:
                on_accepted(accepted[-1])
        return accepted

    def dry_run(self, route: str, records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Dry-run `records` (SPEC 1.11), split into requests like `send`; nothing is stored.

        Returns one report shaped like the server's answer, over every request: `status` over
        all records, `progress` summed, each error's `index` its position in `records`. A
        record sees the records before it in its own request only: the requests are
        independent dry runs, none applied.
        """
        checked = self.dry_run_requests(route, records)
        total = sum(item.count for item in checked)
        errors = [
            {**error, "index": item.first_index + error["index"]}
            if isinstance(error.get("index"), int)
            else error
            for item in checked
            for error in report_errors(item.report)
        ]
        return {
            "company": checked[0].report.get("company") if checked else None,
            "dry_run": True,
            "status": final_status(total, len(errors)).value,
            "progress": progress(total, total),
            "data": {"errors": errors},
        }

    def dry_run_requests(
        self,
        route: str,
        records: Sequence[Mapping[str, Any]],
        *,
        on_checked: Callable[[Checked], None] | None = None,
    ) -> list[Checked]:
        """`POST /<route>?dry_run=true` for each request `send` would make of `records`, in
        order; what each answered. `on_checked` is called after each one.

        Raises DryRunUnsupported when a server answers as if the request had been accepted
        (a server without dry runs ignores the parameter and stores the records).
        """
        check_route(route)
        checked: list[Checked] = []
        for batch, body in self._bodies(records):
            response = self._request(
                "POST",
                f"/{route}",
                params={"dry_run": "true"},
                content=body,
                headers={"Content-Type": "application/json"},
                safe=True,
            )
            report = _report(response, stored=False)
            if report.get("dry_run") is not True:
                raise DryRunUnsupported(
                    f"the server does not support dry runs: it accepted the request as "
                    f"subunique {report.get('subunique')!r}, whose records will be applied"
                )
            checked.append(Checked(report, batch.start, len(batch)))
            if on_checked is not None:
                on_checked(checked[-1])
        return checked

    def _bodies(self, records: Sequence[Mapping[str, Any]]) -> Iterator[tuple[range, bytes]]:
        """The requests `records` are split into (SPEC 4: at most `max_records` and
        `max_body_bytes` each), one at a time: which records each holds, and its body. Every
        record is serialised and checked before the first is yielded, so an unsendable one
        raises before any request is made."""
        parts = [self._serialise(index, record) for index, record in enumerate(records)]
        for batch in split_requests([len(p) for p in parts], self.max_records, self.max_body_bytes):
            yield batch, b"[" + b",".join(parts[batch.start : batch.stop]) + b"]"

    def process(self, subunique: str) -> dict[str, Any]:
        """`GET /process?subunique=…`: the process report, as the server sent it."""
        return _report(self._request("GET", "/process", params={"subunique": subunique}))

    def cancel(self, subunique: str) -> dict[str, Any]:
        """`POST /process/cancel?subunique=…` (SPEC 1.9): the process report at that moment,
        with `cancel_requested`; ItgHttpError 409 when it had already finished."""
        return _report(self._request("POST", "/process/cancel", params={"subunique": subunique}))

    def wait(
        self,
        subunique: str,
        *,
        timeout: float | None = None,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll the process until its status is final; `on_progress` sees every report."""
        callback = None if on_progress is None else (lambda _s, report: on_progress(report))
        return self.wait_all([subunique], timeout=timeout, on_progress=callback)[0]

    def wait_all(
        self,
        subuniques: Sequence[str],
        *,
        timeout: float | None = None,
        on_progress: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Poll every unfinished process each `poll_interval` until all are final (or
        `timeout` seconds pass: WaitTimeout); returns the final reports in the given order."""
        deadline = None if timeout is None else time.monotonic() + timeout
        reports: dict[str, dict[str, Any]] = {}
        pending = list(dict.fromkeys(subuniques))
        while True:
            for subunique in list(pending):
                reports[subunique] = self.process(subunique)
                if on_progress is not None:
                    on_progress(subunique, reports[subunique])
                if is_final(reports[subunique]):
                    pending.remove(subunique)
            if not pending:
                return [reports[subunique] for subunique in subuniques]
            pause = self.poll_interval
            if deadline is not None:
                if time.monotonic() >= deadline:
                    status = reports[pending[0]].get("status")
                    raise WaitTimeout(
                        f"process {pending[0]} not finished after {timeout:g} s (status {status})"
                    )
                pause = min(pause, max(0.0, deadline - time.monotonic()))
            time.sleep(pause)

    def _serialise(self, index: int, record: Mapping[str, Any]) -> bytes:
        if not isinstance(record, Mapping):
            raise UnsendableRecordError(index, f"must be an object, not {type(record).__name__}")
        try:
            part = orjson.dumps(record if isinstance(record, dict) else dict(record))
        except orjson.JSONEncodeError as exc:
            raise UnsendableRecordError(index, f"cannot be serialised as JSON ({exc})") from None
        if len(part) + 2 > self.max_body_bytes:
            raise UnsendableRecordError(
                index,
                f"is {len(part):,} bytes of JSON: alone it exceeds the request body limit of "
                f"{self.max_body_bytes:,} bytes",
            )
        return part

    def _request(
        self, method: str, path: str, *, safe: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One request with the retry rules of the module docstring; its successful answer.

        `safe`: the request changes nothing on the server (a dry run), so it is repeatable.
        """
        keyed = "Idempotency-Key" in kwargs.get("headers", {})
        repeatable = safe or method == "GET" or keyed
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt > self.retries or not _may_retry_error(repeatable, exc):
                    raise _transport_error(method, path, exc, attempt, keyed, safe) from None
                reason, delay = f"{type(exc).__name__}: {exc}", self._delay(attempt, None)
            else:
                if response.is_success:
                    return response
                status = response.status_code
                if attempt > self.retries or not _may_retry_status(repeatable, status):
                    raise _http_error(response)
                retry_after = response.headers.get("retry-after")
                reason, delay = f"HTTP {response.status_code}", self._delay(attempt, retry_after)
            log.info(  # INFO: the CLI promises a single line on stderr, for the final error only
                "%s %s failed (%s); attempt %d of %d in %.2f s",
                *(method, path, reason, attempt + 1, self.retries + 1, delay),
            )
            time.sleep(delay)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        """The backoff, or the server's Retry-After as given (it knows when to come back)."""
        seconds = _int(retry_after)
        if seconds is not None and seconds >= 0:
            return float(seconds)
        return min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))


def _may_retry_error(repeatable: bool, exc: httpx.TransportError) -> bool:
    if isinstance(exc, _NEVER_RETRIED):
        return False
    return repeatable or isinstance(exc, _UNSENT)


def _may_retry_status(repeatable: bool, status: int) -> bool:
    if repeatable:
        return status == 429 or status >= 500
    return status in _UNKEYED_POST_RETRY_STATUSES


def _transport_error(
    method: str, path: str, exc: Exception, attempts: int, keyed: bool, safe: bool = False
) -> ItgTransportError:
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    text = f"{method} {path} failed{tries}: {type(exc).__name__}: {str(exc) or 'no detail'}"
    if method == "POST" and not safe and not isinstance(exc, _UNSENT + _NEVER_RETRIED):
        text += (
            " (the request may have been accepted: sending it again with the same"
            " idempotency key is safe)"
            if keyed
            else " (the request was sent, so it may have been acted on)"
        )
    return ItgTransportError(text)


def _http_error(response: httpx.Response) -> ItgHttpError:
    """Both error shapes of the public API, or a short text body, or the status phrase."""
    status = response.status_code
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        inner = body.get("error")
        source = inner if isinstance(inner, dict) else body
        if isinstance(source.get("message"), str) and source["message"].strip():
            return ItgHttpError(status, source["message"].strip())
    text = response.content.decode("utf-8", "replace").strip()
    if body is None and text and "\n" not in text and "<" not in text and len(text) <= 200:
        return ItgHttpError(status, text)
    try:
        return ItgHttpError(status, HTTPStatus(status).phrase)
    except ValueError:
        return ItgHttpError(status, response.reason_phrase or "HTTP error")


def _decode_answer(response: httpx.Response, stored: bool = True) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        request = response.request
        lost = (
            " (the request was accepted; do not send it again)"
            if stored and request.method == "POST"
            else ""
        )
        raise ItgTransportError(
            f"{request.method} {request.url.path} answered {response.status_code}"
            f" with a body that is not JSON{lost}"
        ) from None


def _report(response: httpx.Response, stored: bool = True) -> dict[str, Any]:
    report = _decode_answer(response, stored)
    if not isinstance(report, dict):
        request = response.request
        raise ItgTransportError(
            f"{request.method} {request.url.path} answered {type(report).__name__}, not an object"
        )
    return report


def _accepted(answer: Any, batch: range, replayed: bool) -> Accepted:
    keys = ("company", "unique", "subunique", "message")
    if not isinstance(answer, dict) or not all(isinstance(answer.get(k), str) for k in keys):
        raise ItgTransportError(f"unexpected answer to an accepted request: {answer!r:.200}")
    return Accepted(
        company=answer["company"],
        unique=answer["unique"],
        subunique=answer["subunique"],
        message=answer["message"],
        first_index=batch.start,
        count=len(batch),
        replayed=replayed,
    )


def _setting(value: str | None, variable: str, option: str, what: str) -> str:
    """The argument, else the environment variable; a clear error naming both when neither."""
    if value:
        return value
    if os.environ.get(variable, "").strip():
        return os.environ[variable]
    raise ConfigError(f"no {what}: set {variable} or pass --{option}")


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
