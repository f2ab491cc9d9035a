"""The worker loop: claim a request, apply it chunk by chunk, finish or release it.

One chunk is one transaction holding the chunk's records, its error rows, `done` and the
lease renewal, all conditional on the claimed attempt (SPEC 3.3). Killed at any point, a
request resumes from its last committed chunk; stopped gracefully, it is released at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from itg.background import Background
from itg.domain import messages
from itg.errors import LeaseLostError
from itg.logs import claim_context
from itg.metrics import Metrics
from itg.outcomes import RecordError
from itg.processes.visibility import cutoffs
from itg.services.base import ChunkContext, Service, internal_errors
from itg.services.registry import SERVICES
from itg.settings import Settings
from itg.storage import queue, statistics
from itg.storage.chunk_store import SqlChunkStore
from itg.storage.database import Database
from itg.storage.purge import purge
from itg.storage.queue import Claim
from itg.timeutil import utcnow

log = logging.getLogger("itg.worker")

PURGE_EVERY_SECONDS = 60.0
# How long a request waits after its first, second, … fault before its next attempt
# (SPEC 3.4: about 1 s, then 2 s); its company waits meanwhile, other companies go on.
RETRY_DELAYS_SECONDS = (1.0, 2.0)


class WorkerHooks:
    """Points in the worker where tests inject faults (a kill landing inside a chunk, a bug,
    storage refusing the error entries); production runs these no-ops.

    tests/faults.py overrides them; tests/crash/faulty_itg.py installs them in a real
    `itg serve` or `itg worker` process (see `itg.cli.main.main`).
    """

    def after_chunk_applied(self, service: Service[Any], chunk: Sequence[tuple[int, Any]]) -> None:
        """Inside the chunk's transaction, after its records, errors and `done` were written."""

    def before_error_entries_commit(self) -> None:
        """Inside the transaction that fails a request's remaining records after repeated
        faults (SPEC 3.4), after its entries were written."""

    def after_request_finished(self, claim: Claim) -> None:
        """Right after the chunk transaction that gave the request its final status committed
        (its webhook events with it, SPEC 1.12), before anything else."""


NO_HOOKS = WorkerHooks()


class Worker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        services: Mapping[str, Service[Any]] = SERVICES,
        wakeup: threading.Event | None = None,
        metrics: Metrics | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS,
        hooks: WorkerHooks = NO_HOOKS,
    ) -> None:
        self.db = db
        self.retry_delays = retry_delays
        self.hooks = hooks
        self.settings = settings
        self.services = services
        self.wakeup = wakeup or threading.Event()
        self.metrics = metrics or Metrics()  # per process: the app passes its own (SPEC 1.7)
        self._next_purge = 0.0

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; a request in hand is released, not abandoned."""
        while not stop.is_set():
            try:
                self._maybe_purge()
                worked = self.run_once(stop)
            except Exception:  # storage unreachable, etc.: keep the loop alive, retry later
                log.exception("worker loop error")
                worked = False
            if not worked:
                self.wakeup.wait(self.settings.poll_seconds)
                self.wakeup.clear()

    def run_once(self, stop: threading.Event | None = None) -> bool:
        """Claim and process one request; False when the queue had nothing to claim."""
        started = time.monotonic()
        claim = queue.claim_next(self.db, self.settings.lease_seconds)
        self.metrics.claim_duration(time.monotonic() - started)
        if claim is None:
            return False
        self.process(claim, stop or threading.Event())
        return True

    def process(self, claim: Claim, stop: threading.Event) -> None:
        # Every line about this claim carries its context, the POST's request id included
        # (SPEC 1.7); cleared after, so the loop's own lines carry none.
        with claim_context(
            company=claim.company_code,
            subunique=claim.subunique,
            route=claim.route,
            attempt=claim.attempt,
            request_id=claim.http_request_id,
        ):
            self._process(claim, stop)

    def _process(self, claim: Claim, stop: threading.Event) -> None:
        # One line per claim and per end of a claim: with the worker's pid, they show which
        # worker held which request when (the crash tests read them).
        log.info(
            "request %s (company %s) attempt %s claimed at %s/%s",
            claim.request_id,
            claim.company_code,
            claim.attempt,
            claim.done,
            claim.total,
        )
        if claim.faults >= self.settings.max_attempts:
            # The attempts are spent but ending the request failed last time (storage was
            # unreachable): end it now, without applying anything again.
            self._end_after_faults(claim)
            return
        try:
            self._apply(claim, stop)
            return
        except LeaseLostError:
            log.warning("request %s: lease lost, stopping without writing", claim.request_id)
            return
        except Exception:
            # One traceback per attempt (SPEC 3.4); the retry waits, other companies go on.
            log.exception("request %s (attempt %s) failed", claim.request_id, claim.attempt)
        # Outside the handler, so that a later error is not chained to this one in the log.
        self.metrics.fault(claim.route)
        self._after_fault(claim)

    def _apply(self, claim: Claim, stop: threading.Event) -> None:
        # Looked up and decoded inside the caller's `try`: a route this worker does not serve
        # or a payload that cannot be decoded is a fault like any other, counted and ended
        # after max_attempts instead of being retried forever (SPEC 3.4).
        service = self.services[claim.route]
        records = orjson.loads(claim.payload)
        done, failed = claim.done, claim.failed
        while done < claim.total:
            if stop.is_set():
                queue.release(self.db, claim)
                log.info(
                    "request %s attempt %s released at %s/%s",
                    claim.request_id,
                    claim.attempt,
                    done,
                    claim.total,
                )
                return
            chunk = list(enumerate(records[done : done + self.settings.chunk_size], done))
            errors: list[RecordError] = []
            latency: float | None = None
            final: str | None = None
            started = time.monotonic()
            with self.db.write() as conn:
                fenced = queue.fence_chunk(conn, claim, self.settings.lease_seconds)
                if fenced.cancel_requested:
                    # A chunk boundary, or the claim of a request canceled while nobody held
                    # it: end it in this transaction; the committed chunks stay (SPEC 1.9).
                    queue.cancel_held(conn, claim)
                else:
                    store = SqlChunkStore(conn, claim.company_id)
                    errors = service.apply_chunk(ChunkContext(store, fenced.now), chunk)
                    done, failed = done + len(chunk), failed + len(errors)
                    final = queue.advance(conn, claim, done, failed, errors)
                    latency = _latency(claim) if final else None
                    self.hooks.after_chunk_applied(service, chunk)
            if final is not None or fenced.cancel_requested:
                self.hooks.after_request_finished(claim)
            if fenced.cancel_requested:
                self.metrics.process_canceled(claim.route)
                log.info(
                    "request %s attempt %s canceled at %s/%s",
                    claim.request_id,
                    claim.attempt,
                    done,
                    claim.total,
                )
                return
            self.metrics.chunk_committed(
                claim.route,
                len(chunk) - len(errors),
                len(errors),
                latency,
                chunk_seconds=time.monotonic() - started,
            )
        log.info("request %s attempt %s finished", claim.request_id, claim.attempt)
        self._refresh_statistics()

    def _refresh_statistics(self) -> None:
        """On PostgreSQL, ANALYZE what grew fast (itg/storage/statistics.py): the next
        requests' lookups are then planned for the tables as they are. Never a fault of the
        request that just finished."""
        try:
            statistics.refresh_statistics(self.db)
        except Exception:
            log.warning("could not refresh the planner's statistics", exc_info=True)

    def _after_fault(self, claim: Claim) -> None:
        """Count the fault; after the last attempt, end the request at once."""
        delay = self.retry_delays[min(claim.faults, len(self.retry_delays) - 1)]
        try:
            counted = queue.record_fault(self.db, claim, delay)
        except Exception:
            # Storage is failing too: the lease runs out and the next attempt finds out.
            log.error("request %s: could not record its fault", claim.request_id, exc_info=True)
            return
        if counted is None:
            # Another worker holds the request now: this attempt was stale, not faulty.
            log.warning("request %s: lease lost, stopping without writing", claim.request_id)
        elif counted.faults >= self.settings.max_attempts:
            self._end_after_faults(counted)

    def _end_after_faults(self, claim: Claim) -> None:
        """End a request after repeated faults: its remaining records fail as internal errors.

        Ending cannot fail in turn because of what the request holds (SPEC 3.4): when even
        writing its error entries fails, a minimal transaction ends it with one fixed entry.
        """
        log.error(
            "request %s failed %s times; failing its remaining records",
            claim.request_id,
            claim.faults,
        )
        try:
            try:
                self._fail_remaining(claim)
            except LeaseLostError:
                raise
            except Exception:
                log.exception("request %s: writing its error entries failed", claim.request_id)
                queue.end_minimally(
                    self.db, claim, self.settings.lease_seconds, messages.INTERNAL_ERROR
                )
        except LeaseLostError:
            log.warning("request %s: lease lost, stopping without writing", claim.request_id)
            return
        except Exception:
            # Storage itself is failing: the lease runs out and a later claim ends it.
            log.error("request %s: could not end it", claim.request_id, exc_info=True)
            return
        self.metrics.chunk_committed(claim.route, 0, claim.total - claim.done, _latency(claim))
        log.info("request %s attempt %s finished", claim.request_id, claim.attempt)

    def _fail_remaining(self, claim: Claim) -> None:
        """Fail every remaining record with `Erro interno ao processar registro`.

        The fault may be the route or the payload itself, so identifiers are best effort:
        "" when the record cannot be read or has no service to name its key (SPEC 2.1).
        """
        service = self.services.get(claim.route)
        try:
            decoded = orjson.loads(claim.payload)
        except orjson.JSONDecodeError:
            decoded = None
        records = decoded if isinstance(decoded, list) else []
        errors = internal_errors(service, records, claim.done, claim.total)
        with self.db.write() as conn:
            queue.fence(conn, claim, self.settings.lease_seconds)
            queue.advance(conn, claim, claim.total, claim.failed + len(errors), errors)
            self.hooks.before_error_entries_commit()

    def _maybe_purge(self) -> None:
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
            removed = purge(self.db, cutoffs(self.settings, utcnow()).gone_by)
            if removed:
                log.info("purged %s expired processes", removed)


def _latency(claim: Claim) -> float:
    """Seconds from acceptance to the final status being written now."""
    return (utcnow() - claim.created_at).total_seconds()


class WorkerPool(Background):
    """N worker threads sharing one stop signal and one wake-up event (embedded in
    `itg serve`, or `itg worker`); `with pool:` runs them for the block's duration."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        count: int,
        metrics: Metrics | None = None,
        *,
        hooks: WorkerHooks = NO_HOOKS,
    ) -> None:
        self.wakeup = threading.Event()  # set by the API after each accepted request
        self.stop = threading.Event()
        self._threads = [
            threading.Thread(
                target=Worker(db, settings, wakeup=self.wakeup, metrics=metrics, hooks=hooks).run,
                args=(self.stop,),
                name=f"itg-worker-{n}",
                daemon=True,
            )
            for n in range(count)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Let each worker finish its chunk and release its claim, then return."""
        self.stop.set()
        self.wakeup.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
