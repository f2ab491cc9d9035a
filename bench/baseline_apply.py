"""Baseline for `apply`: raw SQLite upsert of the same people, without any validation.

Same columns and indexes as itg's `people` table (unique (company_id, matricula), indexes on
cpf, pis, email_key), WAL with synchronous=FULL, one transaction per 1000-record request.
It parses each request's JSON and maps fields to columns (unavoidable for any server), and
does nothing else: no document checks, no uniqueness lookups, no progress or error rows.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import orjson

SCHEMA = """
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL,
    matricula VARCHAR(30) NOT NULL,
    nome VARCHAR(150) NOT NULL,
    nome_registro VARCHAR(150),
    nome_social BOOLEAN NOT NULL,
    pis VARCHAR(11),
    sem_pis BOOLEAN NOT NULL,
    cpf VARCHAR(11),
    email VARCHAR(254),
    email_key VARCHAR(254),
    matricula_esocial VARCHAR(60),
    data_admissao DATE NOT NULL,
    data_demissao DATE,
    localizacoes TEXT,
    escala_padrao VARCHAR(60),
    centro_custo VARCHAR(30),
    filial VARCHAR(14),
    cargo VARCHAR(150),
    updated_at DATETIME NOT NULL,
    UNIQUE (company_id, matricula)
);
CREATE INDEX ix_people_cpf ON people (company_id, cpf);
CREATE INDEX ix_people_pis ON people (company_id, pis);
CREATE INDEX ix_people_email ON people (company_id, email_key);
"""

COLUMNS = (
    "company_id",
    "matricula",
    "nome",
    "nome_registro",
    "nome_social",
    "pis",
    "sem_pis",
    "cpf",
    "email",
    "email_key",
    "matricula_esocial",
    "data_admissao",
    "cargo",
    "updated_at",
)
UPSERT = (
    f"INSERT INTO people ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    " ON CONFLICT (company_id, matricula) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[2:])
)


def _row(record: dict[str, object], now: str) -> tuple[object, ...]:
    day, month, year = str(record["dataAdmissao"]).split("/")
    email = str(record["email"])
    return (
        1,
        record["matricula"],
        record["nome"],
        record.get("nome_registro"),
        False,
        record.get("pis"),
        bool(record.get("sem_pis")),
        record.get("cpf"),
        email,
        email.casefold(),
        record.get("matricula_esocial"),
        f"{year}-{month}-{day}",
        record.get("cargo"),
        now,
    )


def upsert_all(path: Path, payloads: Sequence[bytes]) -> float:
    """Seconds to upsert every payload (one transaction each) into a new database at `path`."""
    conn = sqlite3.connect(path, isolation_level=None)  # explicit BEGIN/COMMIT below
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(SCHEMA)
        started = time.perf_counter()
        for payload in payloads:
            now = datetime.now(UTC).isoformat()
            rows = [_row(record, now) for record in orjson.loads(payload)]
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(UPSERT, rows)
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def stored_rows(path: Path) -> int:
    """Rows of `people` in the baseline's database: the work it claims to have done."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM people").fetchone()[0])
    finally:
        conn.close()
