"""Bodies in another encoding are stored as the same characters (SPEC 1.4 check 3), on SQLite
and PostgreSQL, through a real `itg serve`: what the worker applies and the monitor reports is
the text the client meant, whatever bytes carried it.
"""

from __future__ import annotations

import codecs

import orjson
import pytest
from sqlalchemy import select

from itg.storage.schema import people
from tests.processes import Itg

pytestmark = pytest.mark.e2e

NAME = "José Ação Müller"  # every character exists in windows-1252 and latin-1
ADMITTED = {"sem_pis": True, "dataAdmissao": "01/02/2024"}
BOM = codecs.BOM_UTF8


def body(matricula: str) -> str:
    """A person to apply, and one to fail (no admission date) whose identifier shows the key
    as the server stored it."""
    return orjson.dumps(
        [
            {"matricula": matricula, "nome": NAME, **ADMITTED},
            {"matricula": f"{matricula}-ç", "nome": NAME, "sem_pis": True},
        ]
    ).decode()


# (matricula, bytes sent, Content-Type)
SENT = [
    ("cp1252", body("cp1252").encode("cp1252"), "application/json; charset=windows-1252"),
    ("latin1", body("latin1").encode("latin-1"), "application/json;charset=ISO-8859-1"),
    ("utf16", body("utf16").encode("utf-16"), 'application/json; charset="utf-16"'),
    ("utf16le", body("utf16le").encode("utf-16-le"), "application/json; charset=UTF-16LE"),
    ("bom", BOM + body("bom").encode(), "application/json"),
    ("bom-declared", BOM + body("bom-declared").encode(), "application/json; charset=utf-8"),
    ("plain", body("plain").encode(), "text/plain"),
]


def test_every_declared_encoding_is_stored_as_the_same_characters(itg: Itg):
    # Given a running server
    server = itg.serve(workers=1)
    with server.client() as client:
        # When the same people are sent in several encodings, each declared (or UTF-8 with a
        # byte-order mark)
        subuniques = {}
        for matricula, content, content_type in SENT:
            response = client.post(
                "/people", content=content, headers={"Content-Type": content_type}
            )
            assert response.status_code == 200, (matricula, response.text)
            subuniques[matricula] = response.json()["subunique"]
        itg.wait_all_final(timeout=60)
        # Then each failed record is reported under its key as the client wrote it
        for matricula, subunique in subuniques.items():
            report = client.get("/process", params={"subunique": subunique}).json()
            assert report["status"] == "warning"
            assert report["data"]["errors"] == [
                {
                    "identifier": f"{matricula}-ç",
                    "index": 1,
                    "message": ["Campo obrigatório: dataAdmissao"],
                }
            ]
    # and each applied person's name is stored as the same characters, on either engine
    with itg.db.read() as conn:
        stored = dict(conn.execute(select(people.c.matricula, people.c.nome)).all())
    assert stored == {matricula: NAME for matricula, _, _ in SENT}
    # and what is queued for the worker is UTF-8 JSON, whatever was sent
    for row in itg.requests():
        assert orjson.loads(row["payload"])[0]["nome"] == NAME
    server.stop_cleanly()
