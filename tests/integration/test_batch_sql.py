"""The chunk's batched statements (itg/storage/batch_sql.py through itg/storage/rows.py) bypass
SQLAlchemy's compilation but not its types: on both engines they store exactly what a Core
INSERT/UPDATE stores, and load exactly what a Core SELECT loads (SPEC 3.3, 6)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from itg.domain.catalog import CatalogKind
from itg.storage.catalogs import add_entry
from itg.storage.database import Database
from itg.storage.rows import delete_rows, insert_rows, load_rows, update_rows
from itg.storage.schema import absences, advances, payment_dates, people, reasons, subsidiaries
from tests.tenants import Tenant

Row = dict[str, Any]
MOMENT = datetime(2026, 1, 2, 3, 4, 5, 678901)
WHOLE_SECOND = datetime(2026, 1, 2, 3, 4, 5)  # microsecond 0: SQLAlchemy still stores .000000


def person(company_id: int, matricula: str, **values: Any) -> Row:
    return {
        "company_id": company_id,
        "matricula": matricula,
        "nome": "Ana Souza",
        "nome_registro": None,
        "nome_social": False,
        "pis": None,
        "sem_pis": True,
        "cpf": None,
        "email": None,
        "email_key": None,
        "matricula_esocial": None,
        "data_admissao": date(2024, 2, 1),
        "data_demissao": None,
        "localizacoes": '["SP"]',
        "escala_padrao": None,
        "centro_custo": None,
        "filial": None,
        "cargo": "Analista — Pleno",
        "updated_at": MOMENT,
        **values,
    }


def core_rows(conn: Connection, table: Table, company_id: int) -> list[Row]:
    """The company's rows as a Core SELECT loads them, by id."""
    found = conn.execute(select(table).where(table.c.company_id == company_id).order_by(table.c.id))
    return [dict(row._mapping) for row in found]


def stored(conn: Connection, table: Table, company_id: int) -> list[tuple[Any, ...]]:
    """The company's rows as the driver returns them, untyped: what is really stored."""
    raw = conn.exec_driver_sql(
        f"SELECT * FROM {table.name} WHERE company_id = {company_id} ORDER BY id"
    ).all()
    return [tuple(row)[2:] for row in raw]  # without id and company_id


def typed(rows: list[Row]) -> list[list[tuple[str, type, Any]]]:
    """Rows compared value by value with their types (date vs datetime, bool vs int)."""
    return [[(key, type(value), value) for key, value in row.items()] for row in rows]


def test_people_are_stored_and_loaded_as_core_stores_and_loads_them(
    db: Database, tenant: Tenant, other_company: Tenant
):
    # Given the same people inserted by Core for one company and by insert_rows for another
    rows = [
        person(0, "A1", cpf="52998224725", email="Ana@X.com", email_key="ana@x.com"),
        person(
            0, "B2", nome_social=True, sem_pis=False, pis="12056487294", updated_at=WHOLE_SECOND
        ),
        person(0, "C3", data_demissao=date(2025, 12, 31), localizacoes=None, cargo=None),
    ]
    with db.write() as conn:
        conn.execute(insert(people), [{**row, "company_id": tenant.id} for row in rows])
        insert_rows(conn, people, [{**row, "company_id": other_company.id} for row in rows])
    # When both are read back, raw and through load_rows
    with db.read() as conn:
        by_core = core_rows(conn, people, other_company.id)
        loaded = load_rows(
            conn, people, other_company.id, {"matricula": {"A1", "B2", "C3"}, "cpf": {"x"}}
        )
        stored_by_core = stored(conn, people, tenant.id)
        stored_by_batch = stored(conn, people, other_company.id)
    # Then the stored values are identical, and load_rows gives what Core gives, types included
    assert stored_by_batch == stored_by_core
    assert typed(sorted(loaded, key=lambda row: row["id"])) == typed(by_core)
    assert [row["matricula"] for row in by_core] == ["A1", "B2", "C3"]


def test_one_load_finds_a_row_once_whichever_columns_match(db: Database, tenant: Tenant):
    with db.write() as conn:
        insert_rows(conn, people, [person(tenant.id, "A1", cpf="52998224725", pis="12056487294")])
    with db.read() as conn:
        found = load_rows(
            conn,
            people,
            tenant.id,
            {"matricula": {"A1", "Z9"}, "cpf": {"52998224725"}, "pis": {"12056487294"}},
        )
    assert [row["matricula"] for row in found] == ["A1"]


def test_a_load_sees_only_its_company(db: Database, tenant: Tenant, other_company: Tenant):
    with db.write() as conn:
        insert_rows(conn, people, [person(other_company.id, "A1")])
    with db.read() as conn:
        assert load_rows(conn, people, tenant.id, {"matricula": {"A1"}}) == []
        assert load_rows(conn, people, tenant.id, {"matricula": set()}) == []


def test_updates_and_deletes_store_what_core_stores(
    db: Database, tenant: Tenant, other_company: Tenant
):
    # Given one person per company, then the same change made by Core and by update_rows
    with db.write() as conn:
        for owner in (tenant, other_company):
            insert_rows(conn, people, [person(owner.id, "A1"), person(owner.id, "B2")])
    with db.write() as conn:
        mine = core_rows(conn, people, tenant.id)
        theirs = core_rows(conn, people, other_company.id)
        changes = {"nome": "Novo", "data_demissao": date(2025, 1, 31), "updated_at": WHOLE_SECOND}
        conn.execute(update(people).where(people.c.id == mine[0]["id"]).values(**changes))
        update_rows(conn, people, [{**theirs[0], **changes}])
        # (a rename parks the key first: a one-column update by id)
        update_rows(conn, people, [{"id": theirs[1]["id"], "matricula": "C3"}])
        conn.execute(update(people).where(people.c.id == mine[1]["id"]).values(matricula="C3"))
    # When the rows are read back raw
    with db.read() as conn:
        assert stored(conn, people, other_company.id) == stored(conn, people, tenant.id)
    # And deleting by id removes exactly those rows
    with db.write() as conn:
        delete_rows(conn, people, [theirs[0]["id"], theirs[1]["id"]])
    with db.read() as conn:
        assert core_rows(conn, people, other_company.id) == []
        assert len(core_rows(conn, people, tenant.id)) == 2


def test_numbers_times_and_flags_of_the_other_tables_round_trip(db: Database, tenant: Tenant):
    # Given rows of every other kind of column: Decimal amounts, datetimes, ints, booleans
    add_entry(db, CatalogKind.REASON, tenant.code, "FER", "Férias")
    with db.write() as conn:
        insert_rows(conn, people, [person(tenant.id, "A1")])
        person_id = core_rows(conn, people, tenant.id)[0]["id"]
        reason_id = core_rows(conn, reasons, tenant.id)[0]["id"]
        batches: dict[Table, list[Row]] = {
            advances: [
                {"cod_interno": "X1", "person_id": person_id, "data": date(2026, 3, 5),
                 "valor": Decimal("1234.50"), "updated_at": MOMENT},
                {"cod_interno": "X2", "person_id": person_id, "data": date(2026, 3, 6),
                 "valor": Decimal("0.01"), "updated_at": WHOLE_SECOND},
            ],
            absences: [
                {"cod_interno": "F1", "person_id": person_id, "reason_id": reason_id,
                 "inicio": datetime(2026, 1, 1), "fim": datetime(2026, 1, 2, 12, 30),
                 "updated_at": MOMENT},
            ],
            payment_dates: [
                {"ano": 2026, "mes": 1, "localizacao": "", "data_pagamento": date(2026, 2, 5),
                 "updated_at": MOMENT},
                {"ano": 2026, "mes": 12, "localizacao": "SP", "data_pagamento": date(2027, 1, 5),
                 "updated_at": MOMENT},
            ],
            subsidiaries: [
                {"numero_cadastro": "11222333000181", "razao_social": "Filial",
                 "telefone_ddd": None, "telefone": None, "cep": "01310100", "endereco": None,
                 "complemento": None, "bairro": None, "cidade": None, "estado": "sp",
                 "pais": "1058", "ativo": False, "updated_at": MOMENT},
            ],
        }  # fmt: skip
        for table, rows in batches.items():
            insert_rows(conn, table, [{**row, "company_id": tenant.id} for row in rows])
    # When they are loaded back by their keys
    keys = {
        advances: {"cod_interno": {"X1", "X2"}},
        absences: {"cod_interno": {"F1"}, "person_id": {person_id}},
        payment_dates: {"ano": {2026}},
        subsidiaries: {"numero_cadastro": {"11222333000181"}},
    }
    with db.read() as conn:
        for table, match in keys.items():
            loaded = sorted(load_rows(conn, table, tenant.id, match), key=lambda row: row["id"])
            # Then load_rows gives what Core gives, and what was written
            assert typed(loaded) == typed(core_rows(conn, table, tenant.id)), table.name
            written = [{k: v for k, v in row.items() if k not in ("id", "company_id")}
                       for row in loaded]  # fmt: skip
            assert written == batches[table], table.name
