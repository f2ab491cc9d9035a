"""Safe retries, cancelling and the backlog quota (SPEC 1.8, 1.9, 1.10).

- `requests.idempotency_key` and `requests.fingerprint`: a write request's key and what it was
  sent with; a partial unique index lets a company store one request per key (SPEC 1.8).
  The key goes with its request when the purge removes it.
- `requests.cancel_requested`, and `canceled` among the statuses (a final one).
- `company_backlog`: each company's records not yet processed, kept by the transactions that
  store requests and apply chunks, so the quota is one row read however deep the queue is.

SQLite cannot change a CHECK constraint in place: `requests` is rebuilt (alembic's batch
mode), with foreign keys off for the migration (itg/storage/migrate.py), since dropping the
old table would otherwise cascade to the payloads and error entries that reference it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OLD_STATUSES = "'queued', 'processing', 'done', 'warning', 'error'"
_OLD_FINAL = "'done', 'warning', 'error'"
_NEW_STATUSES = "'queued', 'processing', 'done', 'warning', 'error', 'canceled'"
_NEW_FINAL = "'done', 'warning', 'error', 'canceled'"
_KEYED = "idempotency_key IS NOT NULL"


def _set_status_checks(statuses: str, final: str) -> None:
    with op.batch_alter_table("requests", recreate="auto") as batch:
        batch.drop_constraint("ck_requests_status", type_="check")
        batch.drop_constraint("ck_requests_finished", type_="check")
        batch.create_check_constraint("ck_requests_status", f"status IN ({statuses})")
        batch.create_check_constraint(
            "ck_requests_finished", f"(status IN ({final})) = (finished_at IS NOT NULL)"
        )


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(255), nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.String(100), nullable=True))
        batch.add_column(
            sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    _set_status_checks(_NEW_STATUSES, _NEW_FINAL)
    op.create_index(
        "uq_requests_idempotency_key",
        "requests",
        ["company_id", "idempotency_key"],
        unique=True,
        sqlite_where=sa.text(_KEYED),
        postgresql_where=sa.text(_KEYED),
    )
    op.create_table(
        "company_backlog",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("pending_records", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("pending_records >= 0", name="ck_company_backlog_pending"),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"]),
        sa.PrimaryKeyConstraint("company_id"),
    )
    op.execute(
        "INSERT INTO company_backlog (company_id, pending_records) "
        "SELECT company_id, SUM(total - done) FROM requests "
        "WHERE status IN ('queued', 'processing') GROUP BY company_id"
    )


def downgrade() -> None:
    op.drop_table("company_backlog")
    op.drop_index("uq_requests_idempotency_key", table_name="requests")
    op.execute("DELETE FROM requests WHERE status = 'canceled'")
    _set_status_checks(_OLD_STATUSES, _OLD_FINAL)
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("cancel_requested")
        batch.drop_column("fingerprint")
        batch.drop_column("idempotency_key")
