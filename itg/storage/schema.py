"""The relational schema, as SQLAlchemy Core tables (one schema for SQLite and PostgreSQL).

The migrations in `migrations/versions` create exactly these tables; keep the two in step.
The request state machine is enforced here: a CHECK on the status, a CHECK tying
`finished_at` to the final states, and a partial unique index allowing at most one request
of a company in `processing` (FIFO per company cannot be broken by a racing worker).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from itg.outcomes import FINAL_STATUSES, STATUSES, Status

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# Plain-text status values for the queries that compare with them.
QUEUED = Status.QUEUED.value
PROCESSING = Status.PROCESSING.value
DONE = Status.DONE.value
WARNING = Status.WARNING.value
ERROR = Status.ERROR.value
CANCELED = Status.CANCELED.value
_STATUS_LIST = ", ".join(f"'{s.value}'" for s in STATUSES)
# The predicate of the partial index of unfinished requests. Queries that must use that index
# say it in these very words: SQLite matches a partial index only on the same literal terms.
UNFINISHED_SQL = "status IN ('queued', 'processing')"
_FINAL_LIST = ", ".join(f"'{s.value}'" for s in FINAL_STATUSES)


def _company_fk() -> Column[int]:
    return Column("company_id", Integer, ForeignKey("companies.id"), nullable=False)


companies = Table(
    "companies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(30), nullable=False, unique=True),
    Column("name", String(150), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

service_users = Table(
    "service_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    _company_fk(),
    Column("password_salt", String(64), nullable=False),
    Column("password_hash", String(64), nullable=False),
    Column("routes", String(200), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

reasons = Table(
    "reasons",
    metadata,
    Column("id", Integer, primary_key=True),
    _company_fk(),
    Column("code", String(60), nullable=False),
    Column("description", String(150), nullable=False),
    Column("code_key", String(60), nullable=False),
    Column("description_key", String(150), nullable=False),
    UniqueConstraint("company_id", "code_key"),
    Index("ix_reasons_description", "company_id", "description_key"),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    _company_fk(),
    Column("code", String(60), nullable=False),
    Column("name", String(150), nullable=False),
    Column("code_key", String(60), nullable=False),
    UniqueConstraint("company_id", "code_key"),
)

profiles = Table(
    "profiles",
    metadata,
    Column("id", Integer, primary_key=True),
    _company_fk(),
    Column("name", String(150), nullable=False),
    Column("name_key", String(150), nullable=False),
    UniqueConstraint("company_id", "name_key"),
)

locked_periods = Table(
    "locked_periods",
    metadata,
    Column("company_id", Integer, ForeignKey("companies.id"), primary_key=True),
    Column("competence", String(7), primary_key=True),
)

windows = Table(
    "windows",
    metadata,
    Column("id", BigId, primary_key=True),
    _company_fk(),
    Column("unique_code", String(8), nullable=False),
    Column("opened_at", DateTime, nullable=False),
    Column("last_request_at", DateTime, nullable=False),
    UniqueConstraint("company_id", "unique_code"),
    Index("ix_windows_company", "company_id", "id"),
)

requests = Table(
    "requests",
    metadata,
    Column("id", BigId, primary_key=True),
    _company_fk(),
    Column("window_id", BigId, ForeignKey("windows.id"), nullable=False),
    Column("subunique", String(8), nullable=False),
    Column("route", String(20), nullable=False),
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("faults", Integer, nullable=False),
    Column("lease_expires_at", DateTime, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("started_at", DateTime, nullable=True),
    Column("finished_at", DateTime, nullable=True),
    # SPEC 1.8: the key a client sent, and what it was sent with (route + SHA-256 of the body).
    Column("idempotency_key", String(255), nullable=True),
    Column("fingerprint", String(100), nullable=True),
    # SPEC 1.9: a cancel was asked; the worker ends the request at its next chunk boundary.
    Column("cancel_requested", Boolean, nullable=False, server_default=false()),
    # SPEC 1.7: the X-Request-Id of the POST that stored it, for the worker's log lines (0005).
    Column("http_request_id", String(128), nullable=True),
    UniqueConstraint("company_id", "subunique"),
    CheckConstraint(f"status IN ({_STATUS_LIST})", name="ck_requests_status"),
    CheckConstraint(
        f"(status IN ({_FINAL_LIST})) = (finished_at IS NOT NULL)", name="ck_requests_finished"
    ),
    CheckConstraint(
        "done >= 0 AND done <= total AND failed >= 0 AND failed <= done", name="ck_requests_counts"
    ),
    Index("ix_requests_company", "company_id", "id"),
    Index("ix_requests_window", "window_id"),
    Index(
        "uq_requests_one_processing_per_company",
        "company_id",
        unique=True,
        sqlite_where=text("status = 'processing'"),
        postgresql_where=text("status = 'processing'"),
    ),
    # One request per key and company (SPEC 1.8): the last guard against concurrent twins.
    Index(
        "uq_requests_idempotency_key",
        "company_id",
        "idempotency_key",
        unique=True,
        sqlite_where=text("idempotency_key IS NOT NULL"),
        postgresql_where=text("idempotency_key IS NOT NULL"),
    ),
    # The unfinished requests of a company, in acceptance order: what a claim must find empty
    # before a later request of that company may start (migration 0002).
    Index(
        "ix_requests_unfinished",
        "company_id",
        "id",
        sqlite_where=text(UNFINISHED_SQL),
        postgresql_where=text(UNFINISHED_SQL),
    ),
)

# The request's body, apart from the row that claims, the monitor and the list read over and
# over (migration 0003): a large blob inside that row made every such read walk it on SQLite.
request_payloads = Table(
    "request_payloads",
    metadata,
    Column("request_id", BigId, ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
    Column("payload", LargeBinary, nullable=False),
)

# When a worker last served each company: claims go to the company served least recently
# (round robin, SPEC 3.2). Kept apart from `companies`, whose row accepting locks.
company_turns = Table(
    "company_turns",
    metadata,
    Column("company_id", Integer, ForeignKey("companies.id"), primary_key=True),
    Column("served_at", DateTime, nullable=False),
)

# Each company's records not yet processed (SPEC 1.10 backlog quota): the sum of total - done
# over its queued and processing requests, kept by the transactions that store requests
# (+total) and apply or end them (-records), so the quota reads one row however deep the
# queue (migration 0004; tests/integration/test_backlog_counter.py checks the invariant).
company_backlog = Table(
    "company_backlog",
    metadata,
    Column("company_id", Integer, ForeignKey("companies.id"), primary_key=True),
    Column("pending_records", BigInteger, nullable=False),
    CheckConstraint("pending_records >= 0", name="ck_company_backlog_pending"),
)

record_errors = Table(
    "record_errors",
    metadata,
    Column("request_id", BigId, ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("identifier", Text, nullable=False),
    Column("messages", Text, nullable=False),
)

people = Table(
    "people",
    metadata,
    Column("id", BigId, primary_key=True),
    _company_fk(),
    Column("matricula", String(30), nullable=False),
    Column("nome", String(150), nullable=False),
    Column("nome_registro", String(150), nullable=True),
    Column("nome_social", Boolean, nullable=False),
    Column("pis", String(11), nullable=True),
    Column("sem_pis", Boolean, nullable=False),
    Column("cpf", String(11), nullable=True),
    Column("email", String(254), nullable=True),
    Column("email_key", String(254), nullable=True),
    Column("matricula_esocial", String(60), nullable=True),
    Column("data_admissao", Date, nullable=False),
    Column("data_demissao", Date, nullable=True),
    Column("localizacoes", Text, nullable=True),
    Column("escala_padrao", String(60), nullable=True),
    Column("centro_custo", String(30), nullable=True),
    Column("filial", String(14), nullable=True),
    Column("cargo", String(150), nullable=True),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("company_id", "matricula"),
    Index("ix_people_cpf", "company_id", "cpf"),
    Index("ix_people_pis", "company_id", "pis"),
    Index("ix_people_email", "company_id", "email_key"),
)

cost_centers = Table(
    "cost_centers",
    metadata,
    Column("id", BigId, primary_key=True),
    _company_fk(),
    Column("codigo", String(30), nullable=False),
    Column("nome", String(150), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("company_id", "codigo"),
)

subsidiaries = Table(
    "subsidiaries",
    metadata,
    Column("id", BigId, primary_key=True),
    _company_fk(),
    Column("numero_cadastro", String(14), nullable=False),
    Column("razao_social", String(150), nullable=False),
    Column("telefone_ddd", String(2), nullable=True),
    Column("telefone", String(9), nullable=True),
    Column("cep", String(8), nullable=True),
    Column("endereco", String(200), nullable=True),
    Column("complemento", String(200), nullable=True),
    Column("bairro", String(150), nullable=True),
    Column("cidade", String(150), nullable=True),
    Column("estado", String(2), nullable=True),
    Column("pais", String(4), nullable=False),
    Column("ativo", Boolean, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("company_id", "numero_cadastro"),
)

platform_users = Table(
    "platform_users",
    metadata,
    Column("id", BigId, primary_key=True),
    _company_fk(),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False),
    Column("nome", String(150), nullable=False),
    Column("perfil", String(150), nullable=False),
    Column("localizacao", Text, nullable=True),
    Column("login_saml", String(254), nullable=True),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("company_id", "email_key"),
)

absences = Table(
    "absences",
    metadata,
    Column("id", BigId, primary_key=True),
    _company_fk(),
    Column("cod_interno", String(60), nullable=False),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False),
    Column("reason_id", Integer, ForeignKey("reasons.id"), nullable=False),
    Column("inicio", DateTime, nullable=False),
    Column("fim", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("company_id", "cod_interno"),
    Index("ix_absences_person", "person_id"),
)

payment_dates = Table(
    "payment_dates",
    metadata,
    Column("id", BigId, primary_key=True),
    _company_fk(),
    Column("ano", Integer, nullable=False),
    Column("mes", Integer, nullable=False),
    Column("localizacao", String(150), nullable=False),
    Column("data_pagamento", Date, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("company_id", "ano", "mes", "localizacao"),
)

advances = Table(
    "advances",
    metadata,
    Column("id", BigId, primary_key=True),
    _company_fk(),
    Column("cod_interno", String(60), nullable=False),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False),
    Column("data", Date, nullable=False),
    Column("valor", Numeric(14, 2), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("company_id", "cod_interno"),
)

# Completion webhooks (SPEC 1.12, migration 0006). An endpoint's secret is stored as it was
# shown: every attempt is signed with it.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    _company_fk(),
    Column("url", Text, nullable=False),
    Column("secret", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    # What the transaction that finishes a request reads, even when nothing is registered.
    Index("ix_webhook_endpoints_company", "company_id"),
)

WEBHOOK_PENDING = "pending"
WEBHOOK_DELIVERED = "delivered"
WEBHOOK_FAILED = "failed"
# The partial index of events still to send, by due time; the claim says it in these words.
WEBHOOK_PENDING_SQL = "status = 'pending'"

# The outbox: one event per endpoint, written in the transaction that gives a process its
# final status. Its body bytes are fixed then, identical on every retry.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column(
        "endpoint_id",
        Integer,
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _company_fk(),
    Column("request_id", BigId, ForeignKey("requests.id", ondelete="SET NULL"), nullable=True),
    Column("subunique", String(8), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("lease_expires_at", DateTime, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    CheckConstraint(
        "status IN ('pending', 'delivered', 'failed')", name="ck_webhook_events_status"
    ),
    Index("ix_webhook_events_company", "company_id", "id"),
    Index("ix_webhook_events_endpoint", "endpoint_id"),
    Index("ix_webhook_events_request", "request_id"),
    Index(
        "ix_webhook_events_due",
        "next_attempt_at",
        sqlite_where=text(WEBHOOK_PENDING_SQL),
        postgresql_where=text(WEBHOOK_PENDING_SQL),
    ),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column(
        "event_id", BigId, ForeignKey("webhook_events.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("attempt", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
)
