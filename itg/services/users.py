"""users — platform users, upserted by e-mail, case-insensitive (SPEC 2.7)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from itg.domain import messages as msg
from itg.domain.catalog import catalog_key
from itg.domain.contact import MAX_EMAIL_LENGTH, is_valid_email
from itg.services.base import ChunkContext, Record, Service, keyed_by
from itg.services.docs import EMAIL, TEXT, TEXT_LIST, FieldDoc, RouteDoc, chars
from itg.services.fields import Fields, removal_requested, set_text

KEY = "email"
COLUMN = "email_key"
REMOVE_WORDS = ("REMOVER", "REMOVE")
_REMOVER_INVALID = msg.invalid("remover")
# A profile name of any length is looked up: one longer than the catalog allows is simply
# not found (`Perfil não encontrado` is the more specific message). Bodies are capped at 1 MiB.
_ANY_LENGTH = 1 << 20


@dataclass
class UserInput:
    """One record after format checks: its key, the profile names it sends, its columns."""

    fields: Fields
    email: str | None
    remove: bool
    profile_names: dict[str, str] = field(default_factory=dict)  # field -> name as sent
    changes: dict[str, Any] = field(default_factory=dict)


def parse(record: Record) -> UserInput:
    f = Fields(record)
    user = UserInput(f, _email(f), removal_requested(f, "remover", REMOVE_WORDS, _REMOVER_INVALID))
    if user.remove:
        return user  # a removal needs only the key: the other fields are not read
    set_text(f, user.changes, "nome", "nome", 150, clearable=False)
    set_text(f, user.changes, "login_saml", "login_saml", 254)
    places = f.text_list("localizacao")
    if places is not None:
        user.changes["localizacao"] = orjson.dumps(places).decode()
    profile = f.text("perfil", _ANY_LENGTH)
    if profile == "":
        f.fail(msg.required("perfil"))  # a user always has a profile; blank cannot clear it
    elif profile is not None:
        user.profile_names["perfil"] = profile
    new_profile = f.text("perfilNovo", _ANY_LENGTH)
    if new_profile:  # blank = no change, like a blank `remover`
        user.profile_names["perfilNovo"] = new_profile
    return user


def _email(f: Fields) -> str | None:
    """The key as sent (trimmed), or None (message recorded) when missing or invalid."""
    email = f.key(KEY, MAX_EMAIL_LENGTH, msg.EMAIL_INVALID)
    if email is not None and not is_valid_email(email):
        f.fail(msg.EMAIL_INVALID)
        return None
    return email


class UsersView:
    """The chunk's users and the company's profiles, each loaded with one query."""

    def __init__(self, ctx: ChunkContext, inputs: Sequence[UserInput]) -> None:
        self.ctx = ctx
        keys = {user.email.casefold() for user in inputs if user.email}
        self.rows = ctx.store.load("platform_users", {COLUMN: keys}, key=COLUMN)
        self.catalog = {row["name_key"]: row["name"] for row in ctx.store.load_all("profiles")}

    def apply(self, user: UserInput) -> list[str]:
        """Validate one record against the chunk's view; insert, update or remove when it is
        sound."""
        f, rows = user.fields, self.rows
        if user.email is None:
            return f.messages  # key missing or invalid: format errors only (SPEC 2.1)
        existing = rows.get(user.email.casefold())
        if user.remove:
            if existing is None:
                f.fail(msg.USER_NOT_FOUND)
            elif f.ok:
                rows.remove(existing)
            return f.messages
        canonical = {
            name: self.catalog.get(catalog_key(sent)) for name, sent in user.profile_names.items()
        }
        if None in canonical.values():
            f.fail(msg.PROFILE_NOT_FOUND)
        if existing is None:
            f.require_on_insert("nome")
            f.require_on_insert("perfil")
        if not f.ok:
            return f.messages
        changes = dict(user.changes)
        # perfilNovo is the change; perfil alone also sets the profile (it is the whole record).
        profile = canonical.get("perfilNovo") or canonical.get("perfil")
        if profile is not None:
            changes["perfil"] = profile
        if existing is None:
            rows.add(
                {
                    "company_id": self.ctx.company_id,
                    "email": user.email,
                    COLUMN: user.email.casefold(),
                    "localizacao": None,
                    "login_saml": None,
                    **changes,
                    "updated_at": self.ctx.now,
                }
            )
        elif changes:
            rows.change(existing, {**changes, "updated_at": self.ctx.now})
        return []


DOC = RouteDoc(
    "Platform users, upserted by e-mail",
    (
        FieldDoc("email", TEXT, "yes", "the key, case-insensitive (`E-mail inválido`)", EMAIL),
        FieldDoc("nome", TEXT, "on insert", "1–150 chars", chars(150)),
        FieldDoc("perfil", TEXT, "on insert", "a profile of the catalog (`Perfil não encontrado`)"),
        FieldDoc("perfilNovo", TEXT, "no", "changes the profile (`Perfil não encontrado`)"),
        FieldDoc("localizacao", TEXT_LIST, "no", "array of strings"),
        FieldDoc("login_saml", TEXT, "no", "SSO login name"),
        FieldDoc(
            "remover",
            TEXT,
            "no",
            "`REMOVER` or `REMOVE` removes the user (`Usuário não encontrado`)",
        ),
    ),
    [{"email": "maria@example.com", "nome": "Maria", "perfil": "Gestor"}],
)

SERVICE = Service(
    route="users",
    accepted_message="User´s Integration on progress",
    identifier=keyed_by(KEY),
    parse=parse,
    view=UsersView,
    doc=DOC,
)
