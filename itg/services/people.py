"""people — employees, upserted by matrícula (SPEC 2.3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from itg.domain import messages as msg
from itg.domain.catalog import catalog_key
from itg.domain.contact import MAX_EMAIL_LENGTH, is_valid_email
from itg.domain.dates import parse_br_date
from itg.domain.documents import is_valid_cpf, is_valid_pis
from itg.services.base import ChunkContext, Record, Service, keyed_by
from itg.services.docs import BOOLEAN, EMAIL, TEXT, TEXT_LIST, FieldDoc, RouteDoc, chars
from itg.services.fields import Fields, set_text

KEY = "matricula"
_DMY_DATE = {"pattern": r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$", "examples": ["01/02/2024"]}


@dataclass
class PersonInput:
    """One record after format checks: the columns it sets (None = cleared) and its faults."""

    fields: Fields
    matricula: str | None
    previous: str | None
    changes: dict[str, Any] = field(default_factory=dict)


def parse(record: Record) -> PersonInput:
    f = Fields(record)
    person = PersonInput(f, f.key(KEY, 30), f.text("matricula_anterior", 30) or None)
    changes = person.changes

    set_text(f, changes, "nome", "nome", 150, clearable=False)
    set_text(f, changes, "nome_registro", "nome_registro", 150)
    set_text(f, changes, "matricula_esocial", "matricula_esocial", 60)
    set_text(f, changes, "cargo", "cargo", 150)
    set_text(f, changes, "escala_padrao", "escala_padrao", 60)
    set_text(f, changes, "centro_custo", "centro_custo", 30)
    for name, column in (("checkbox_nome_social", "nome_social"), ("sem_pis", "sem_pis")):
        flag = f.boolean(name)
        if flag is not None:
            changes[column] = flag

    pis = f.digits("pis", msg.PIS_INVALID)
    if pis:
        if is_valid_pis(pis):
            changes["pis"] = pis
        else:
            f.fail(msg.PIS_INVALID)
    cpf = f.digits("cpf", msg.CPF_INVALID)
    if cpf == "":
        changes["cpf"] = None
    elif cpf is not None:
        if is_valid_cpf(cpf):
            changes["cpf"] = cpf
        else:
            f.fail(msg.CPF_INVALID)
    email = f.text("email", MAX_EMAIL_LENGTH, msg.EMAIL_INVALID)
    if email == "":
        changes.update(email=None, email_key=None)
    elif email is not None:
        if is_valid_email(email):
            changes.update(email=email, email_key=email.casefold())
        else:
            f.fail(msg.EMAIL_INVALID)

    admission = f.text("dataAdmissao", 10, msg.ADMISSION_DATE_INVALID)
    if admission:
        changes["data_admissao"] = parse_br_date(admission)
        if changes["data_admissao"] is None:
            f.fail(msg.ADMISSION_DATE_INVALID)
    dismissal = f.text("dataDemissao", 10, msg.DISMISSAL_DATE_INVALID)
    if dismissal == "":
        changes["data_demissao"] = None  # readmission
    elif dismissal is not None:
        changes["data_demissao"] = parse_br_date(dismissal)
        if changes["data_demissao"] is None:
            f.fail(msg.DISMISSAL_DATE_INVALID)

    places = f.text_list("localizacoes")
    if places is not None:
        changes["localizacoes"] = orjson.dumps(places).decode()
    branch = f.digits("filial", msg.invalid("filial"))
    if branch is not None:
        changes["filial"] = branch or None
    return person


class PeopleView:
    """Everything a chunk of people records can touch, loaded with one query per table."""

    def __init__(self, ctx: ChunkContext, inputs: Sequence[PersonInput]) -> None:
        keys: set[str] = set()
        wanted: dict[str, set[Any]] = {"cpf": set(), "pis": set(), "email_key": set()}
        centers, scales, branches = set(), set(), set()
        for person in inputs:
            keys.update(k for k in (person.matricula, person.previous) if k)
            for column, values in wanted.items():
                if person.changes.get(column):
                    values.add(person.changes[column])
            centers.add(person.changes.get("centro_custo"))
            scales.add(catalog_key(person.changes.get("escala_padrao") or ""))
            branches.add(person.changes.get("filial"))
        store = ctx.store
        self.people = store.load("people", {KEY: keys, **wanted}, key=KEY, unique=tuple(wanted))
        self.cost_centers = {
            row["codigo"] for row in store.lookup("cost_centers", {"codigo": centers - {None}})
        }
        self.schedules = {
            row["code_key"]: row["code"]
            for row in store.lookup("schedules", {"code_key": scales - {""}})
        }
        self.branches = {
            row["numero_cadastro"]
            for row in store.lookup("subsidiaries", {"numero_cadastro": branches - {None}})
        }
        self.now = ctx.now
        self.company_id = ctx.company_id

    def apply(self, person: PersonInput) -> list[str]:
        """Validate one record against the current view; apply it when it has no fault."""
        f, changes = person.fields, {KEY: person.matricula, **person.changes}
        if person.matricula is None:
            return f.messages  # key missing: format errors only (SPEC 2.1)

        target = self.people.get(person.matricula)
        known_target = True
        if person.previous and person.previous != person.matricula:
            previous = self.people.get(person.previous)
            if previous is None:
                f.fail(msg.PREVIOUS_MATRICULA_NOT_FOUND)
                known_target = False
            elif target is not None:
                f.fail(msg.MATRICULA_TAKEN)
            target = previous

        current = target or {}
        merged = {**current, **changes}
        if target is None and known_target:
            f.require_on_insert("nome")
            if not merged.get("sem_pis"):
                f.require_on_insert("pis")
            f.require_on_insert("dataAdmissao")
        if merged.get("nome_social") and not merged.get("nome_registro"):
            f.fail(msg.required("nome_registro"))
        admission, dismissal = merged.get("data_admissao"), merged.get("data_demissao")
        if admission and dismissal and dismissal < admission:
            f.fail(msg.DISMISSAL_BEFORE_ADMISSION)
        for column, taken in (
            ("cpf", msg.CPF_TAKEN),
            ("pis", msg.PIS_TAKEN),
            ("email_key", msg.EMAIL_TAKEN),
        ):
            holder = self.people.find(column, changes.get(column))
            if holder is not None and holder is not target:
                f.fail(taken)
        self._check_references(f, changes)
        if not f.ok:
            return f.messages

        changes["updated_at"] = self.now
        if target is None:
            self.people.add({**_INSERT_DEFAULTS, "company_id": self.company_id, **changes})
        else:
            self.people.change(target, changes)
        return []

    def _check_references(self, f: Fields, changes: dict[str, Any]) -> None:
        center = changes.get("centro_custo")
        if center is not None and center not in self.cost_centers:
            f.fail(msg.COST_CENTER_NOT_FOUND)
        scale = changes.get("escala_padrao")
        if scale is not None:
            canonical = self.schedules.get(catalog_key(scale))
            if canonical is None:
                f.fail(msg.SCHEDULE_NOT_FOUND)
            else:
                changes["escala_padrao"] = canonical
        branch = changes.get("filial")
        if branch is not None and branch not in self.branches:
            f.fail(msg.SUBSIDIARY_NOT_FOUND)


_INSERT_DEFAULTS: dict[str, Any] = {
    "nome_registro": None,
    "nome_social": False,
    "pis": None,
    "sem_pis": False,
    "cpf": None,
    "email": None,
    "email_key": None,
    "matricula_esocial": None,
    "data_demissao": None,
    "localizacoes": None,
    "escala_padrao": None,
    "centro_custo": None,
    "filial": None,
    "cargo": None,
}


DOC = RouteDoc(
    "Employees, upserted by matrícula",
    (
        FieldDoc("matricula", TEXT, "yes", "1–30 chars; the key", chars(30)),
        FieldDoc(
            "matricula_anterior",
            TEXT,
            "no",
            "transfer: the employee under this matrícula is renamed "
            "(`Matrícula anterior não encontrada`, `Matrícula já cadastrada.`)",
        ),
        FieldDoc("nome", TEXT, "on insert", "1–150 chars", chars(150)),
        FieldDoc("nome_registro", TEXT, "when checkbox_nome_social", "registered name"),
        FieldDoc("checkbox_nome_social", BOOLEAN, "no", "`nome` is a social name"),
        FieldDoc(
            "pis",
            TEXT,
            "on insert unless sem_pis",
            "11 digits, valid check digit (`PIS Inválido`); unique (`PIS já cadastrado.`)",
        ),
        FieldDoc("sem_pis", BOOLEAN, "no", "the employee has no PIS"),
        FieldDoc(
            "cpf",
            TEXT,
            "no",
            "11 digits, valid check digits (`CPF Inválido`); unique (`CPF já cadastrado.`)",
        ),
        FieldDoc(
            "email",
            TEXT,
            "no",
            "valid address (`E-mail inválido`); unique, case-insensitive (`E-mail já cadastrado.`)",
            EMAIL,
        ),
        FieldDoc("matricula_esocial", TEXT, "no", "up to 60 chars", chars(60, 0)),
        FieldDoc(
            "dataAdmissao",
            TEXT,
            "on insert",
            "`DD/MM/AAAA` (`Data de admissão inválida`)",
            _DMY_DATE,
        ),
        FieldDoc(
            "dataDemissao",
            TEXT,
            "no",
            "`DD/MM/AAAA` (`Data de demissão inválida`), not before admission "
            "(`Data de demissão anterior à data de admissão`); empty string readmits",
            {**_DMY_DATE, "pattern": r"^([0-9]{2}/[0-9]{2}/[0-9]{4})?$"},
        ),
        FieldDoc("localizacoes", TEXT_LIST, "no", "array of strings"),
        FieldDoc(
            "escala_padrao", TEXT, "no", "a schedule of the catalog (`Escala não encontrada`)"
        ),
        FieldDoc("centro_custo", TEXT, "no", "a cost center (`Centro de custo não encontrado`)"),
        FieldDoc("filial", TEXT, "no", "numeroCadastro of a subsidiary (`Filial não encontrada`)"),
        FieldDoc("cargo", TEXT, "no", "job title, up to 150 chars", chars(150, 0)),
    ),
    [
        {
            "matricula": "0001",
            "nome": "Ana Souza",
            "pis": "120.5648.729-4",
            "cpf": "529.982.247-25",
            "email": "ana@example.com",
            "dataAdmissao": "01/02/2024",
            "centro_custo": "ADM",
        }
    ],
)

SERVICE = Service(
    route="people",
    accepted_message="People Integration on progress",
    identifier=keyed_by(KEY),
    parse=parse,
    view=PeopleView,
    doc=DOC,
)
