"""Payloads leave the request row; companies take turns at the queue (SPEC 3.2).

- `request_payloads` holds each request's body. The request row is what claims, the monitor
  and the list read over and over; on SQLite a 330 KB blob inside it spills into overflow
  pages that every read of a column stored after it (status, done, finished_at) had to walk.
- `company_turns` remembers when a worker last served each company, so claims go round
  robin across companies instead of to the globally oldest request.
- `ix_requests_claim` (status, id) served the old global-FIFO claim and goes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "request_payloads",
        sa.Column("request_id", _BIG_ID, nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.execute(
        "INSERT INTO request_payloads (request_id, payload) SELECT id, payload FROM requests"
    )
    # Both engines drop a plain column in place (SQLite since 3.35).
    op.execute("ALTER TABLE requests DROP COLUMN payload")
    op.drop_index("ix_requests_claim", table_name="requests")
    op.create_table(
        "company_turns",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("served_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"]),
        sa.PrimaryKeyConstraint("company_id"),
    )


def downgrade() -> None:
    op.drop_table("company_turns")
    op.create_index("ix_requests_claim", "requests", ["status", "id"], unique=False)
    op.add_column("requests", sa.Column("payload", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE requests SET payload = "
        "(SELECT payload FROM request_payloads WHERE request_id = requests.id)"
    )
    op.drop_table("request_payloads")
