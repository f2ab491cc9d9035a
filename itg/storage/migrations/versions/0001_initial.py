"""Initial schema: tenants, credentials, catalogs, the request queue and the domain tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "cost_centers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("codigo", sa.String(length=30), nullable=False),
        sa.Column("nome", sa.String(length=150), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "codigo"),
    )
    op.create_table(
        "locked_periods",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("competence", sa.String(length=7), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("company_id", "competence"),
    )
    op.create_table(
        "payment_dates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("ano", sa.Integer(), nullable=False),
        sa.Column("mes", sa.Integer(), nullable=False),
        sa.Column("localizacao", sa.String(length=150), nullable=False),
        sa.Column("data_pagamento", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "ano", "mes", "localizacao"),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("matricula", sa.String(length=30), nullable=False),
        sa.Column("nome", sa.String(length=150), nullable=False),
        sa.Column("nome_registro", sa.String(length=150), nullable=True),
        sa.Column("nome_social", sa.Boolean(), nullable=False),
        sa.Column("pis", sa.String(length=11), nullable=True),
        sa.Column("sem_pis", sa.Boolean(), nullable=False),
        sa.Column("cpf", sa.String(length=11), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_key", sa.String(length=254), nullable=True),
        sa.Column("matricula_esocial", sa.String(length=60), nullable=True),
        sa.Column("data_admissao", sa.Date(), nullable=False),
        sa.Column("data_demissao", sa.Date(), nullable=True),
        sa.Column("localizacoes", sa.Text(), nullable=True),
        sa.Column("escala_padrao", sa.String(length=60), nullable=True),
        sa.Column("centro_custo", sa.String(length=30), nullable=True),
        sa.Column("filial", sa.String(length=14), nullable=True),
        sa.Column("cargo", sa.String(length=150), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "matricula"),
    )
    op.create_index("ix_people_cpf", "people", ["company_id", "cpf"], unique=False)
    op.create_index("ix_people_email", "people", ["company_id", "email_key"], unique=False)
    op.create_index("ix_people_pis", "people", ["company_id", "pis"], unique=False)
    op.create_table(
        "platform_users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("nome", sa.String(length=150), nullable=False),
        sa.Column("perfil", sa.String(length=150), nullable=False),
        sa.Column("localizacao", sa.Text(), nullable=True),
        sa.Column("login_saml", sa.String(length=254), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "email_key"),
    )
    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("name_key", sa.String(length=150), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "name_key"),
    )
    op.create_table(
        "reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("description", sa.String(length=150), nullable=False),
        sa.Column("code_key", sa.String(length=60), nullable=False),
        sa.Column("description_key", sa.String(length=150), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "code_key"),
    )
    op.create_index(
        "ix_reasons_description", "reasons", ["company_id", "description_key"], unique=False
    )
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("code_key", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "code_key"),
    )
    op.create_table(
        "service_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("password_salt", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=64), nullable=False),
        sa.Column("routes", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "subsidiaries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("numero_cadastro", sa.String(length=14), nullable=False),
        sa.Column("razao_social", sa.String(length=150), nullable=False),
        sa.Column("telefone_ddd", sa.String(length=2), nullable=True),
        sa.Column("telefone", sa.String(length=9), nullable=True),
        sa.Column("cep", sa.String(length=8), nullable=True),
        sa.Column("endereco", sa.String(length=200), nullable=True),
        sa.Column("complemento", sa.String(length=200), nullable=True),
        sa.Column("bairro", sa.String(length=150), nullable=True),
        sa.Column("cidade", sa.String(length=150), nullable=True),
        sa.Column("estado", sa.String(length=2), nullable=True),
        sa.Column("pais", sa.String(length=4), nullable=False),
        sa.Column("ativo", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "numero_cadastro"),
    )
    op.create_table(
        "windows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("unique_code", sa.String(length=8), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("last_request_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "unique_code"),
    )
    op.create_index("ix_windows_company", "windows", ["company_id", "id"], unique=False)
    op.create_table(
        "absences",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("cod_interno", sa.String(length=60), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reason_id", sa.Integer(), nullable=False),
        sa.Column("inicio", sa.DateTime(), nullable=False),
        sa.Column("fim", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reason_id"],
            ["reasons.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "cod_interno"),
    )
    op.create_index("ix_absences_person", "absences", ["person_id"], unique=False)
    op.create_table(
        "advances",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("cod_interno", sa.String(length=60), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("data", sa.Date(), nullable=False),
        sa.Column("valor", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "cod_interno"),
    )
    op.create_table(
        "requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column(
            "window_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("subunique", sa.String(length=8), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("faults", sa.Integer(), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(status IN ('done', 'warning', 'error')) = (finished_at IS NOT NULL)",
            name="ck_requests_finished",
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'processing', 'done', 'warning', 'error')",
            name="ck_requests_status",
        ),
        sa.CheckConstraint(
            "done >= 0 AND done <= total AND failed >= 0 AND failed <= done",
            name="ck_requests_counts",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["windows.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "subunique"),
    )
    op.create_index("ix_requests_claim", "requests", ["status", "id"], unique=False)
    op.create_index("ix_requests_company", "requests", ["company_id", "id"], unique=False)
    op.create_index("ix_requests_window", "requests", ["window_id"], unique=False)
    op.create_index(
        "uq_requests_one_processing_per_company",
        "requests",
        ["company_id"],
        unique=True,
        sqlite_where=sa.text("status = 'processing'"),
        postgresql_where=sa.text("status = 'processing'"),
    )
    op.create_table(
        "record_errors",
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("messages", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id", "idx"),
    )


def downgrade() -> None:
    op.drop_table("record_errors")
    op.drop_index(
        "uq_requests_one_processing_per_company",
        table_name="requests",
        sqlite_where=sa.text("status = 'processing'"),
        postgresql_where=sa.text("status = 'processing'"),
    )
    op.drop_index("ix_requests_window", table_name="requests")
    op.drop_index("ix_requests_company", table_name="requests")
    op.drop_index("ix_requests_claim", table_name="requests")
    op.drop_table("requests")
    op.drop_table("advances")
    op.drop_index("ix_absences_person", table_name="absences")
    op.drop_table("absences")
    op.drop_index("ix_windows_company", table_name="windows")
    op.drop_table("windows")
    op.drop_table("subsidiaries")
    op.drop_table("service_users")
    op.drop_table("schedules")
    op.drop_index("ix_reasons_description", table_name="reasons")
    op.drop_table("reasons")
    op.drop_table("profiles")
    op.drop_table("platform_users")
    op.drop_index("ix_people_pis", table_name="people")
    op.drop_index("ix_people_email", table_name="people")
    op.drop_index("ix_people_cpf", table_name="people")
    op.drop_table("people")
    op.drop_table("payment_dates")
    op.drop_table("locked_periods")
    op.drop_table("cost_centers")
    op.drop_table("companies")
