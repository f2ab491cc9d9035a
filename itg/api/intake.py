"""The write routes (SPEC 1.4): check the request's shape, store it, answer at once.

One bounded read, one JSON parse, one insert, one commit: the records themselves are looked
at later by a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from itg.api.context import ApiContext
from itg.api.encodings import UTF8, declared_charset, is_utf8, json_text, not_valid
from itg.api.idempotency_key import fingerprint, idempotency_key
from itg.api.origin import refuse_cross_origin
from itg.api.responses import ApiError, json_response
from itg.api.versioning import check_version
from itg.dry_run import rehearse
from itg.logs import REQUEST_ID
from itg.services.base import Service
from itg.storage.intake import Refused, accept_request

ONE_MIB = 1_048_576
RATE_LIMITED = "Rate limit exceeded"
INVALID_DRY_RUN = "Invalid dry_run"
DRY_RUN_VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
REPLAYED_HEADERS = {"Idempotent-Replayed": "true"}

log = logging.getLogger("itg.api")


def too_large(limit: int) -> ApiError:
    size = "1 MiB" if limit == ONE_MIB else f"{limit} bytes"
    return ApiError(413, f"Request body exceeds {size}")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise too_large(limit)
    parts: list[bytes] = []
    size = 0
    try:
        async for part in request.stream():
            size += len(part)
            if size > limit:
                raise too_large(limit)
            parts.append(part)
    except ClientDisconnect:
        # Routine on flaky links (and what a read timeout looks like): one quiet line, no
        # traceback (SPEC 6). Nobody is left to read the answer; 400 just ends the request.
        log.debug(
            "client left %s after %d of %s body bytes", request.url.path, size, declared or "?"
        )
        raise ApiError(400, "Client disconnected") from None
    return b"".join(parts)


def check_records(text: bytes, max_records: int) -> int:
    """Shape checks 3–7 of SPEC 1.4, in order, on the body as UTF-8 (itg/api/encodings.py);
    returns the number of records."""
    try:
        records = orjson.loads(text)
    except orjson.JSONDecodeError:
        if not is_utf8(text):  # orjson refuses invalid UTF-8 too: say which it was
            raise not_valid(UTF8) from None
        raise ApiError(400, "Invalid JSON") from None
    if not isinstance(records, list):
        raise ApiError(400, "Request format must be an Array")
    if not records:
        raise ApiError(400, "Request must contain at least one record")
    if len(records) > max_records:
        raise ApiError(400, f"Request exceeds {max_records} records")
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ApiError(400, f"Record at index {index} must be an object")
    return len(records)


def dry_run_requested(request: Request) -> bool:
    """`?dry_run=` (SPEC 1.11): true/1/yes or false/0/no in any case, trimmed; blank or absent
    is a real POST. Anything else is 400: a typo must not get its records applied."""
    value = request.query_params.get("dry_run", "").strip().lower()
    if not value:
        return False
    if value not in DRY_RUN_VALUES:
        raise ApiError(400, INVALID_DRY_RUN)
    return DRY_RUN_VALUES[value]


def write_endpoint(
    ctx: ApiContext, service: Service[Any]
) -> Callable[[Request], Awaitable[Response]]:
    settings = ctx.settings

    async def accept(request: Request) -> Response:
        refuse_cross_origin(request)  # first: before credentials or the body (SPEC 1.4 check 1)
        principal = await ctx.auth.authenticate(request, service.route)
        check_version(request)
        key = idempotency_key(request)  # right after Accept-Version (SPEC 1.8)
        dry_run = dry_run_requested(request)  # a request-level check, before the rate limit
        wait = ctx.rate_limiter.admit(principal.company_id)  # before the body (SPEC 1.10)
        if wait is not None:
            raise ApiError(429, RATE_LIMITED, {"Retry-After": str(wait)})
        body = await read_body(request, settings.max_body_bytes)
        # What is stored is what the worker parses: UTF-8 JSON. The bytes as received stay in
        # `body` (e.g. for a fingerprint of the request).
        text = json_text(body, declared_charset(request))
        total = check_records(text, settings.max_records)
        if dry_run:  # SPEC 1.11: applied and rolled back; no backlog, no key, nothing stored
            rehearsal = await run_in_threadpool(
                rehearse, ctx.db, service, principal.company_id, text, settings.chunk_size
            )
            return Response(rehearsal.body(principal.company_code), media_type="application/json")
        try:
            accepted = await run_in_threadpool(
                accept_request,
                ctx.db,
                company_id=principal.company_id,
                company_code=principal.company_code,
                route=service.route,
                payload=text,
                total=total,
                validity_seconds=settings.validity_seconds,
                group=ctx.intake,
                idempotency_key=key,
                # Over the bytes as received, before any charset decoding (SPEC 1.8).
                fingerprint=None if key is None else fingerprint(service.route, body),
                max_pending=settings.max_pending_records,
                http_request_id=REQUEST_ID.get(),  # set by the app's front (SPEC 1.7)
            )
        except Refused as refused:
            headers = None
            if refused.retry_after is not None:
                headers = {"Retry-After": str(refused.retry_after)}
            raise ApiError(refused.status_code, refused.message, headers) from None
        ctx.intake_hooks.after_request_stored()
        if not accepted.replayed:
            ctx.metrics.request_accepted(service.route)
            ctx.wakeup.set()
        # The same four keys in the same order: a replay is the original answer byte for byte.
        return json_response(
            {
                "company": accepted.company,
                "unique": accepted.unique,
                "subunique": accepted.subunique,
                "message": service.accepted_message,
            },
            headers=REPLAYED_HEADERS if accepted.replayed else None,
        )

    accept.__name__ = f"post_{service.route}"
    return accept
