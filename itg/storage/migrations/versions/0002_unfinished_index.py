"""Index the unfinished requests of each company (claims check them for FIFO).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_UNFINISHED = "status IN ('queued', 'processing')"


def upgrade() -> None:
    op.create_index(
        "ix_requests_unfinished",
        "requests",
        ["company_id", "id"],
        unique=False,
        sqlite_where=sa.text(_UNFINISHED),
        postgresql_where=sa.text(_UNFINISHED),
    )


def downgrade() -> None:
    op.drop_index("ix_requests_unfinished", table_name="requests")
