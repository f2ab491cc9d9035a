"""A route's fields as a plan built once: what each field is called, which column it sets and
how its value is read by the coercion rules of SPEC 2.1, in the order its messages are
reported (SPEC 2.2).

Reading a record is then one pass over the plan: an absent field (missing or null) costs one
dict lookup, a present one a single call of its reader, and a fault is a `Fault` built with
the plan, so a sound record allocates only its `changes` and its `Reading`. This is the hot
path of applying (SPEC 6.1). people reads its records with a plan; the other routes still use
`Fields` (itg/services/fields.py), whose answers tests/unit/test_plan.py holds the readers to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from itg.domain import messages
from itg.domain.coerce import (
    CoercionError,
    UnsafeValue,
    digits_only,
    has_control,
    number_text,
    to_bool,
    to_text_list,
)
from itg.services.base import Record


class _Keep:
    """The type of `KEEP`."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()  # a reader's answer: the field changes no column


@dataclass(frozen=True, slots=True)
class Fault:
    """A value that breaks its field's rule: the message, and what the column is set to all the
    same (`KEEP`: nothing), which later checks of the record then see (a wrong date hides the
    stored one from the date-order check). Built once per rule, never per record."""

    message: str
    value: object = KEEP


# A reader gets a field's value as sent (never None: null is absent) and answers the column's
# value, `KEEP` or a `Fault`.
Reader = Callable[[Any], Any]


@dataclass(frozen=True)
class Rule:
    """One field of a plan: its name as sent, the column it sets, its reader."""

    name: str
    column: str
    read: Reader


class Reading:
    """One record read by a plan: its key (None when missing or invalid), the columns it sets
    (None = cleared) and its messages so far, in order and without repeats (SPEC 2.2)."""

    __slots__ = ("changes", "key", "messages", "record")

    def __init__(
        self, record: Record, key: str | None, changes: dict[str, Any], found: list[str]
    ) -> None:
        self.record = record
        self.key = key
        self.changes = changes
        self.messages = found

    @property
    def ok(self) -> bool:
        return not self.messages

    def fail(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)

    def require_on_insert(self, name: str) -> None:
        """Insert-only requirement: missing or blank is `Campo obrigatório: <name>`; a value of
        a wrong type already has its own message and is not reported twice."""
        if is_blank(self.record.get(name)):
            self.fail(messages.required(name))


class FieldPlan:
    """The key and the fields of one route, read in this order."""

    def __init__(self, key: Rule, fields: Sequence[Rule]) -> None:
        self.key = key
        self.fields = tuple(fields)
        self._steps = tuple((rule.name, rule.column, rule.read) for rule in self.fields)

    def read(self, record: Record) -> Reading:
        found: list[str] = []
        key = self.key.read(record.get(self.key.name))
        if type(key) is Fault:
            found.append(key.message)
            key = None
        changes: dict[str, Any] = {}
        get = record.get
        for name, column, read in self._steps:
            value = get(name)
            if value is None:
                continue  # absent: nothing to read, nothing to change
            result = read(value)
            if result is KEEP:
                continue
            if type(result) is Fault:
                if result.message not in found:
                    found.append(result.message)
                if result.value is KEEP:
                    continue
                result = result.value
            changes[column] = result
        return Reading(record, key, changes, found)


def is_blank(value: object) -> bool:
    """Missing, null or a text that trims to "" (and holds no control character)."""
    if value is None:
        return True
    return isinstance(value, str) and not value.strip() and not has_control(value)


def _text_reader(
    name: str, max_length: int, invalid: str | None, blank: object = ""
) -> Callable[[Any], Any]:
    """The trimmed text of a value, `blank` for a blank one, or a Fault: `invalid` (default
    `Campo inválido: <name>`) for a wrong type or length; always `Campo inválido: <name>` for a
    control character or a number of 2^53 or more (SPEC 2.1, 6). Same rules as
    `Fields.text`."""
    unsafe = Fault(messages.invalid(name))
    wrong = Fault(invalid or messages.invalid(name))

    def read(value: Any) -> Any:
        if isinstance(value, str):
            if has_control(value):
                return unsafe
            text: str = value.strip()
        else:
            try:
                text = number_text(value)
            except UnsafeValue:
                return unsafe
            except CoercionError:
                return wrong
        if not text:
            return blank
        return text if len(text) <= max_length else wrong

    return read


def text(
    name: str,
    max_length: int,
    *,
    column: str | None = None,
    invalid: str | None = None,
    blank: object = None,
    digits: bool = False,
    check: Callable[[str], bool] | None = None,
    parse: Callable[[str], Any] | None = None,
    rejected: Fault | None = None,
) -> Rule:
    """A text field. `blank` is what a blank value gives: None clears the column (the default),
    `KEEP` changes nothing, a `Fault` is its message. `digits` strips the separators first
    (CPF, PIS, …; blank is judged after). A non-blank text is then kept if `check` accepts it
    (a check digit), or replaced by what `parse` makes of it (a date); `rejected` is the fault
    when `check` refuses it or `parse` gives None."""
    if not digits and check is None and parse is None:
        # The most common field: a single call.
        return Rule(name, column or name, _text_reader(name, max_length, invalid, blank))
    if check is not None and parse is not None:
        raise ValueError("a text rule takes `check` or `parse`, not both")
    if (check is not None or parse is not None) and rejected is None:
        raise ValueError("`check` and `parse` need the `rejected` fault")
    as_text = _text_reader(name, max_length, invalid)

    def read(value: Any) -> Any:
        result = as_text(value)
        if type(result) is Fault:
            return result
        if digits and not result.isdigit():  # digits only: no separator to strip
            result = digits_only(result)
        if not result:
            return blank
        if check is not None:
            return result if check(result) else rejected
        if parse is not None:
            parsed = parse(result)
            return rejected if parsed is None else parsed
        return result

    return Rule(name, column or name, read)


def key(name: str, max_length: int, *, invalid: str | None = None) -> Rule:
    """The record's key: required and non-blank (`Campo obrigatório: <name>`)."""
    missing = Fault(messages.required(name))
    as_text = _text_reader(name, max_length, invalid, missing)

    def read(value: Any) -> Any:
        return missing if value is None else as_text(value)

    return Rule(name, name, read)


def boolean(name: str, *, column: str | None = None) -> Rule:
    """true/false or "true"/"false"/"1"/"0" in any case; blank changes nothing (SPEC 2.1)."""
    wrong = Fault(messages.invalid(name))

    def read(value: Any) -> Any:
        if value is True or value is False:
            return value
        try:
            flag = to_bool(value)
        except CoercionError:
            return wrong
        return KEEP if flag is None else flag

    return Rule(name, column or name, read)


def text_list(name: str, *, column: str | None = None) -> Rule:
    """An array of strings, stored as its JSON text (`Campo inválido: <name>` otherwise)."""
    wrong = Fault(messages.invalid(name))

    def read(value: Any) -> Any:
        try:
            texts = to_text_list(value)
        except CoercionError:
            return wrong
        return orjson.dumps(texts).decode()

    return Rule(name, column or name, read)
