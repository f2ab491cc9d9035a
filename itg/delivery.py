"""The webhook delivery loop (SPEC 1.12): claim due events, send them signed, record each
attempt.

It runs beside the workers of every worker process (`itg worker`, `itg serve` with workers),
in threads of its own, never inside the chunk loop: a slow or dead receiver holds a sender,
never a worker. One dispatcher thread claims due events (itg/storage/webhooks.py, with a
lease) for the senders that are free, at most one per endpoint and none for an endpoint
this process is already sending to, so a dead receiver holds one sender while the others
serve every other endpoint. Each sender POSTs with httpx, redirects not followed, and
records the outcome: 2xx is delivered, anything else is retried on the schedule until it is
given up, then failed.
"""

from __future__ import annotations

import calendar
import logging
import queue as queues
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import httpx

from itg.background import Background
from itg.domain.webhook_signature import signed_headers
from itg.metrics import Metrics
from itg.settings import Settings
from itg.storage import webhooks
from itg.storage.database import Database
from itg.storage.schema import WEBHOOK_DELIVERED, WEBHOOK_FAILED
from itg.storage.webhooks import Delivery
from itg.timeutil import utcnow

log = logging.getLogger("itg.delivery")

# How long `shutdown` waits for in-flight sends before abandoning them (their lease runs out
# and any process retries them).
SHUTDOWN_GRACE_SECONDS = 2.0


def lease_seconds(settings: Settings) -> float:
    """An event's lease: longer than one attempt can take (httpx's timeout applies to the
    connect, the write and each read in turn), so no second sender starts meanwhile."""
    return 3 * settings.webhook_timeout_seconds + 5


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(client: httpx.Client, delivery: Delivery, timeout_seconds: float) -> Outcome:
    """One signed POST of the event's fixed body; the answer's body is never read.

    httpx's timeout bounds the connect, the write and each read in turn; an answer whose
    status line comes later than `timeout_seconds` after the start (a receiver trickling it)
    is a timeout too: success is a 2xx within the timeout (SPEC 1.12)."""
    timestamp = calendar.timegm(utcnow().utctimetuple())
    headers = signed_headers(delivery.secret, delivery.event_id, timestamp, delivery.body)
    started = time.monotonic()
    try:
        with client.stream("POST", delivery.url, content=delivery.body, headers=headers) as answer:
            if time.monotonic() - started > timeout_seconds:
                return Outcome(None, "timeout")
            return Outcome(answer.status_code, None)
    except httpx.TimeoutException:
        return Outcome(None, "timeout")
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
        # Recorded like any failed attempt, so even a URL that cannot be sent to is given up.
        return Outcome(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


class Deliverer(Background):
    """The dispatcher and its senders; `with deliverer:` runs them for the block."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        metrics: Metrics | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.client = httpx.Client(
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            transport=transport,
        )
        self.stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._busy: set[int] = set()  # endpoints with a send in flight in this process
        self._work: queues.Queue[Delivery | None] = queues.Queue()
        self._threads: list[threading.Thread] = []

    # -- one round, synchronously (the tests drive it so) ------------------------------------

    def deliver_once(self) -> int:
        """Claim the due events (one per endpoint) and send them one after the other."""
        claimed = webhooks.claim_due(
            self.db, self.settings.webhook_senders, lease_seconds(self.settings)
        )
        for delivery in claimed:
            self.attempt(delivery)
        return len(claimed)

    def attempt(self, delivery: Delivery) -> str | None:
        """Send a claimed event once and record the outcome; the event's new status."""
        outcome = send(self.client, delivery, self.settings.webhook_timeout_seconds)
        retry_at = None
        if not outcome.delivered:
            retry_at = webhooks.next_attempt_at(
                delivery,
                utcnow(),
                self.settings.webhook_retry_seconds,
                self.settings.webhook_give_up_seconds,
            )
        status = webhooks.record_attempt(
            self.db,
            delivery,
            status_code=outcome.status_code,
            error=outcome.error,
            delivered=outcome.delivered,
            retry_at=retry_at,
        )
        if status is None:
            log.warning("webhook %s: lease lost, outcome not recorded", delivery.event_id)
            return None
        self.metrics.webhook_delivery(
            "delivered"
            if status == WEBHOOK_DELIVERED
            else "failed"
            if status == WEBHOOK_FAILED
            else "retried"
        )
        log.info(
            "webhook %s attempt %s to endpoint %s: %s (%s)",
            delivery.event_id,
            delivery.attempt,
            delivery.endpoint_id,
            status,
            # The error's kind only: httpx's text may quote the URL, which may hold a token.
            outcome.status_code if outcome.error is None else outcome.error.split(":")[0],
        )
        return status

    # -- the threads -------------------------------------------------------------------------

    def _dispatch(self) -> None:
        senders = self.settings.webhook_senders
        while not self.stop.is_set():
            claimed: list[Delivery] = []
            with self._lock:
                busy = set(self._busy)
            try:
                claimed = webhooks.claim_due(
                    self.db, senders - len(busy), lease_seconds(self.settings), busy
                )
            except Exception:  # storage unreachable: keep the loop alive, retry later
                log.exception("webhook claim failed")
            for delivery in claimed:
                with self._lock:
                    self._busy.add(delivery.endpoint_id)
                self._work.put(delivery)
            if not claimed:
                self._wake.wait(self.settings.poll_seconds)
                self._wake.clear()

    def _send_loop(self) -> None:
        while True:
            delivery = self._work.get()
            if delivery is None:
                return
            try:
                self.attempt(delivery)
            except Exception:  # storage failing: the lease runs out and the event is retried
                log.exception("webhook %s: recording the attempt failed", delivery.event_id)
            finally:
                with self._lock:
                    self._busy.discard(delivery.endpoint_id)
                self._wake.set()  # a sender is free: claim again without waiting a poll

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._dispatch, name="itg-webhooks", daemon=True),
            *(
                threading.Thread(target=self._send_loop, name=f"itg-webhook-{n}", daemon=True)
                for n in range(self.settings.webhook_senders)
            ),
        ]
        for thread in self._threads:
            thread.start()

    def shutdown(self, grace_seconds: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Stop claiming; give in-flight sends a moment, then abandon them (daemon threads:
        their lease runs out and any process sends them again)."""
        self.stop.set()
        self._wake.set()
        for _ in range(self.settings.webhook_senders):
            self._work.put(None)
        deadline = time.monotonic() + grace_seconds
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if not any(thread.is_alive() for thread in self._threads):
            self.client.close()


def deliveries(
    db: Database, settings: Settings, metrics: Metrics | None = None, *, enabled: bool = True
) -> AbstractContextManager[object]:
    """The delivery loop of a worker process, or nothing (`itg serve --workers 0`)."""
    return Deliverer(db, settings, metrics) if enabled else nullcontext()
