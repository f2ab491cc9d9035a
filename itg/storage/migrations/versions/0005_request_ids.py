"""The HTTP request id of the POST that stored a request (SPEC 1.7, logs).

`requests.http_request_id`: the `X-Request-Id` the API answered the POST with (the client's,
when it sent a sane one, else one the server drew). The worker puts it on its log lines for
that request, so one id follows a request from the HTTP access into the worker's lines.
Nullable: requests stored before this migration, or by a caller without an HTTP request.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("http_request_id", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("http_request_id")
