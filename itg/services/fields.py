"""Reading one record's fields by the coercion rules of SPEC 2.1, collecting every message.

Every text a service keeps or looks up is read here, so no control character and no
untrustworthy number reaches storage (SPEC 2.1, 6).

Validation never stops at the first problem: each reader records its message and returns
None, so a record reports all of its faults at once.

`set_text` and `removal_requested` are the two rules several routes share: "blank clears an
optional text" and "a keyword (`remover`, `operation`) asks for removal".
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from itg.domain import messages
from itg.domain.coerce import (
    CoercionError,
    UnsafeValue,
    digits_only,
    to_bool,
    to_text,
    to_text_list,
)
from itg.services.base import Record


class Fields:
    def __init__(self, record: Record) -> None:
        self.record = record
        self.messages: list[str] = []

    def fail(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)

    @property
    def ok(self) -> bool:
        return not self.messages

    def sent(self, name: str) -> bool:
        """Whether the field was sent with a value (null counts as absent)."""
        return self.record.get(name) is not None

    def text(self, name: str, max_length: int, invalid: str | None = None) -> str | None:
        """Trimmed text, "" when blank, None when absent or wrong (message recorded).

        `invalid` replaces `Campo inválido: <name>` for a wrong type or length; a control
        character or a number >= 2^53 is always `Campo inválido: <name>` (SPEC 2.1, 6).
        """
        try:
            value = to_text(self.record.get(name))
        except UnsafeValue:
            self.fail(messages.invalid(name))
            return None
        except CoercionError:
            self.fail(invalid or messages.invalid(name))
            return None
        if value is not None and len(value) > max_length:
            self.fail(invalid or messages.invalid(name))
            return None
        return value

    def key(self, name: str, max_length: int, invalid: str | None = None) -> str | None:
        """The record's key: required, non-blank; None (message recorded) otherwise."""
        if self.record.get(name) is None:
            self.fail(messages.required(name))
            return None
        value = self.text(name, max_length, invalid)
        if value == "":
            self.fail(messages.required(name))
            return None
        return value

    def digits(self, name: str, invalid: str) -> str | None:
        """A digits field with separators stripped ("" when blank); format is the caller's."""
        value = self.text(name, 64, invalid)
        return None if value is None else digits_only(value)

    def boolean(self, name: str) -> bool | None:
        try:
            return to_bool(self.record.get(name))
        except CoercionError:
            self.fail(messages.invalid(name))
            return None

    def text_list(self, name: str) -> list[str] | None:
        try:
            return to_text_list(self.record.get(name))
        except CoercionError:
            self.fail(messages.invalid(name))
            return None

    def require_on_insert(self, name: str) -> None:
        """Insert-only requirement: missing or blank gives `Campo obrigatório: <name>`.

        A value of a wrong type already has its own message and is not reported twice.
        """
        try:
            value = to_text(self.record.get(name))
        except CoercionError:
            return
        if not value:
            self.fail(messages.required(name))


def set_text(
    f: Fields,
    changes: dict[str, Any],
    name: str,
    column: str,
    max_length: int,
    *,
    clearable: bool = True,
) -> None:
    """Copy a text field into `changes`.

    Blank clears an optional field (None); for a field that cannot be empty (a name) blank
    is `Campo obrigatório`, whether the record inserts or updates, as people and costcenter do.
    """
    value = f.text(name, max_length)
    if value is None:
        return
    if value == "":
        if clearable:
            changes[column] = None
        else:
            f.fail(messages.required(name))
        return
    changes[column] = value


def removal_requested(f: Fields, name: str, words: Collection[str], invalid: str) -> bool:
    """A keyword field asking for removal: absent or blank = no, one of `words` (any case) = yes.

    Any other value (or a wrong JSON type) records `invalid` and answers no; the record fails
    anyway, so the answer only decides which further checks are meaningful.
    """
    value = f.text(name, 64, invalid)
    if not value:
        return False
    if value.casefold() in {word.casefold() for word in words}:
        return True
    f.fail(invalid)
    return False
