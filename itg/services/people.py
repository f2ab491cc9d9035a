"""people — employees, upserted by matrícula (SPEC 2.3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from itg.domain import messages as msg
from itg.domain.catalog import catalog_key
from itg.domain.contact import MAX_EMAIL_LENGTH, is_valid_email
from itg.domain.dates import parse_br_date
from itg.domain.documents import is_valid_cpf, is_valid_pis
from itg.services import plan
from itg.services.base import ChunkContext, Record, Service, keyed_by
from itg.services.docs import BOOLEAN, EMAIL, TEXT, TEXT_LIST, FieldDoc, RouteDoc, chars
from itg.services.plan import KEEP, Fault, FieldPlan, Reading

KEY = "matricula"
PREVIOUS = "matricula_anterior"
_DMY_DATE = {"pattern": r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$", "examples": ["01/02/2024"]}

# SPEC 2.3, field by field, in the order the messages are reported.
PLAN = FieldPlan(
    plan.key(KEY, 30),
    (
        # Not a column: `parse` takes it out of the changes.
        plan.text(PREVIOUS, 30, blank=KEEP),
        plan.text("nome", 150, blank=Fault(msg.required("nome"))),
        plan.text("nome_registro", 150),
        plan.text("matricula_esocial", 60),
        plan.text("cargo", 150),
        plan.text("escala_padrao", 60),
        plan.text("centro_custo", 30),
        plan.boolean("checkbox_nome_social", column="nome_social"),
        plan.boolean("sem_pis"),
        # A blank PIS changes nothing; a blank CPF clears it.
        plan.text(
            "pis",
            64,
            invalid=msg.PIS_INVALID,
            digits=True,
            blank=KEEP,
            check=is_valid_pis,
            rejected=Fault(msg.PIS_INVALID),
        ),
        plan.text(
            "cpf",
            64,
            invalid=msg.CPF_INVALID,
            digits=True,
            check=is_valid_cpf,
            rejected=Fault(msg.CPF_INVALID),
        ),
        plan.text(
            "email",
            MAX_EMAIL_LENGTH,
            invalid=msg.EMAIL_INVALID,
            check=is_valid_email,
            rejected=Fault(msg.EMAIL_INVALID),
        ),
        # A wrong date still sets its column (to None): the stored date must not take part in
        # the admission/dismissal order check of a record that sent another one.
        plan.text(
            "dataAdmissao",
            10,
            column="data_admissao",
            invalid=msg.ADMISSION_DATE_INVALID,
            blank=KEEP,
            parse=parse_br_date,
            rejected=Fault(msg.ADMISSION_DATE_INVALID, None),
        ),
        plan.text(
            "dataDemissao",
            10,
            column="data_demissao",
            invalid=msg.DISMISSAL_DATE_INVALID,
            parse=parse_br_date,
            rejected=Fault(msg.DISMISSAL_DATE_INVALID, None),
        ),
        plan.text_list("localizacoes"),
        plan.text("filial", 64, invalid=msg.invalid("filial"), digits=True),
    ),
)


@dataclass(slots=True)
class PersonInput:
    """One record after format checks: its reading (key, the columns it sets, None = cleared,
    and its faults) and the matrícula it transfers from."""

    reading: Reading
    previous: str | None


def parse(record: Record) -> PersonInput:
    reading = PLAN.read(record)
    changes = reading.changes
    previous = changes.pop(PREVIOUS, None)
    if "email" in changes:
        email = changes["email"]
        changes["email_key"] = None if email is None else email.casefold()
    return PersonInput(reading, previous)


class PeopleView:
    """Everything a chunk of people records can touch, loaded with one query per table."""

    def __init__(self, ctx: ChunkContext, inputs: Sequence[PersonInput]) -> None:
        readings = [person.reading for person in inputs]
        everything = [reading.changes for reading in readings]
        keys = {reading.key for reading in readings if reading.key}
        keys.update(person.previous for person in inputs if person.previous)
        # One pass per column over the chunk's changes: cheaper than a loop doing them all.
        wanted = {
            column: {changes[column] for changes in everything if changes.get(column)}
            for column in _UNIQUE_COLUMNS
        }
        centers = {changes["centro_custo"] for changes in everything if changes.get("centro_custo")}
        scales = {
            catalog_key(changes["escala_padrao"])
            for changes in everything
            if changes.get("escala_padrao")
        }
        branches = {changes["filial"] for changes in everything if changes.get("filial")}
        store = ctx.store
        self.people = store.load("people", {KEY: keys, **wanted}, key=KEY, unique=tuple(wanted))
        self.cost_centers = {
            row["codigo"] for row in store.lookup("cost_centers", {"codigo": centers})
        }
        self.schedules = {
            row["code_key"]: row["code"] for row in store.lookup("schedules", {"code_key": scales})
        }
        self.branches = {
            row["numero_cadastro"]
            for row in store.lookup("subsidiaries", {"numero_cadastro": branches})
        }
        self.now = ctx.now
        self.company_id = ctx.company_id

    def apply(self, person: PersonInput) -> list[str]:
        """Validate one record against the current view; apply it when it has no fault."""
        f = person.reading
        matricula = f.key
        if matricula is None:
            return f.messages  # key missing: format errors only (SPEC 2.1)
        changes = f.changes  # read once, applied at most once: changed in place
        changes[KEY] = matricula

        target = self.people.get(matricula)
        known_target = True
        if person.previous and person.previous != matricula:
            previous = self.people.get(person.previous)
            if previous is None:
                f.fail(msg.PREVIOUS_MATRICULA_NOT_FOUND)
                known_target = False
            elif target is not None:
                f.fail(msg.MATRICULA_TAKEN)
            target = previous

        current: dict[str, Any] = target or {}
        # The record's columns as it would leave them: its changes over the stored row.
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
        find = self.people.find
        for column, taken in _UNIQUE:
            holder = find(column, changes.get(column))
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

    def _check_references(self, f: Reading, changes: dict[str, Any]) -> None:
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


_UNIQUE = (
    ("cpf", msg.CPF_TAKEN),
    ("pis", msg.PIS_TAKEN),
    ("email_key", msg.EMAIL_TAKEN),
)
_UNIQUE_COLUMNS = tuple(column for column, _ in _UNIQUE)

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
