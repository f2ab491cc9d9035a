"""Field plans (itg/services/plan.py): a route's fields read in one pass by the coercion rules
of SPEC 2.1, with the messages of SPEC 2.2 in field order; the same rules as `Fields`."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest

from itg.domain import messages
from itg.domain.dates import parse_br_date
from itg.services import plan
from itg.services.fields import Fields, set_text
from itg.services.plan import KEEP, Fault, FieldPlan, Rule, is_blank

# Values of every JSON type, blank and hostile ones included (SPEC 2.1, 6).
VALUES: list[Any] = [
    "abc",
    "  abc  ",
    "",
    "   ",
    "a" * 31,
    "a\x00b",
    "\x1c",
    " \t ",
    123,
    1.5,
    -7,
    2**53,
    float("nan"),
    True,
    False,
    [],
    ["a"],
    {},
    {"a": 1},
]


def read(rule: Rule, value: Any) -> Any:
    """What one rule makes of a value present in the record."""
    return rule.read(value)


@pytest.mark.parametrize("value", VALUES, ids=repr)
@pytest.mark.parametrize("invalid", [None, "Valor inválido"])
def test_text_follows_fields_text(value: Any, invalid: str | None) -> None:
    # Given the same value read by Fields.text and by a plan's text rule (blank clears)
    fields = Fields({"x": value})
    expected = fields.text("x", 30, invalid)
    # When the rule reads it
    got = read(plan.text("x", 30, invalid=invalid), value)
    # Then both agree: the text, None for blank, or the same single message
    if fields.messages:
        assert got == Fault(fields.messages[0])
    else:
        assert got == (expected or None)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_name_that_cannot_be_blank_follows_set_text(value: Any) -> None:
    # Given set_text with clearable=False (people's and cost centers' `nome`)
    fields, changes = Fields({"nome": value}), {}
    set_text(fields, changes, "nome", "nome", 30, clearable=False)
    # When the plan's rule with a blank Fault reads the same value
    got = read(plan.text("nome", 30, blank=Fault(messages.required("nome"))), value)
    # Then the message or the column's value is the same
    if fields.messages:
        assert got == Fault(fields.messages[0])
    else:
        assert got == changes["nome"]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_key_follows_fields_key(value: Any) -> None:
    fields = Fields({"k": value})
    expected = fields.key("k", 30)
    got = read(plan.key("k", 30), value)
    assert got == (Fault(fields.messages[0]) if fields.messages else expected)


def test_a_missing_key_is_required() -> None:
    assert plan.key("k", 30).read(None) == Fault("Campo obrigatório: k")


@pytest.mark.parametrize("value", VALUES + ["TRUE", " 0 ", "1", "sim"], ids=repr)
def test_boolean_follows_fields_boolean(value: Any) -> None:
    fields = Fields({"b": value})
    expected = fields.boolean("b")
    got = read(plan.boolean("b"), value)
    if fields.messages:
        assert got == Fault(fields.messages[0])
    else:
        assert got == (KEEP if expected is None else expected)


@pytest.mark.parametrize("value", VALUES + [[" a ", 1], [None], [True]], ids=repr)
def test_text_list_follows_fields_text_list(value: Any) -> None:
    fields = Fields({"l": value})
    expected = fields.text_list("l")
    got = read(plan.text_list("l"), value)
    if fields.messages:
        assert got == Fault(fields.messages[0])
    else:
        assert got == (None if expected is None else orjson.dumps(expected).decode())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("529.982.247-25", "52998224725"),
        ("52998224725", "52998224725"),
        ("529.982.247-26", Fault("CPF Inválido")),
        ("...", KEEP),  # only separators: blank once stripped
        ("", KEEP),
        (52998224725, "52998224725"),
        (True, Fault("CPF Inválido")),  # a wrong type: the field's own message
        ("5299\x0082247", Fault("Campo inválido: cpf")),  # a control character: always this
        ("1" * 65, Fault("CPF Inválido")),
    ],
)
def test_digits_strip_separators_then_check(value: Any, expected: Any) -> None:
    rule = plan.text(
        "cpf",
        64,
        invalid="CPF Inválido",
        digits=True,
        blank=KEEP,
        check=lambda text: text == "52998224725",
        rejected=Fault("CPF Inválido"),
    )
    assert rule.read(value) == expected


def test_a_fault_may_still_set_its_column() -> None:
    # Given a date rule whose fault clears the column (people's dates)
    wrong = Fault("Data de admissão inválida", None)
    rule = plan.text("d", 10, column="data", blank=KEEP, parse=parse_br_date, rejected=wrong)
    fields = FieldPlan(plan.key("k", 5), [rule])
    # When a record sends a valid date, then a wrong one
    good = fields.read({"k": "1", "d": "01/02/2024"})
    bad = fields.read({"k": "1", "d": "31/02/2024"})
    # Then the valid one is parsed, the wrong one sets None and reports its message
    assert (good.changes, good.messages) == ({"data": date(2024, 2, 1)}, [])
    assert (bad.changes, bad.messages) == ({"data": None}, ["Data de admissão inválida"])


def test_a_plan_reports_every_fault_in_field_order_once() -> None:
    # Given a plan of a key and three fields, two of which give the same message
    fields = FieldPlan(
        plan.key("k", 5),
        [
            plan.text("a", 3, invalid="Valor inválido"),
            plan.boolean("b"),
            plan.text("c", 3, invalid="Valor inválido"),
        ],
    )
    # When a record without its key breaks every field
    reading = fields.read({"c": "long", "b": "x", "a": "long"})
    # Then the messages come in the plan's order, without repeats, and nothing is changed
    assert reading.key is None
    assert reading.messages == ["Campo obrigatório: k", "Valor inválido", "Campo inválido: b"]
    assert reading.changes == {}
    assert reading.ok is False


def test_absent_and_null_fields_cost_no_reader_call() -> None:
    # Given a plan whose only field's reader must never run
    def never(value: Any) -> Any:
        raise AssertionError(f"read {value!r}")

    fields = FieldPlan(plan.key("k", 5), [Rule("x", "x", never)])
    # When records leave the field out or send null (absent, SPEC 2.1)
    # Then the reader is not called and nothing changes
    assert fields.read({"k": "1"}).changes == {}
    assert fields.read({"k": "1", "x": None}).changes == {}


def test_unknown_fields_are_ignored() -> None:
    reading = FieldPlan(plan.key("k", 5), [plan.text("a", 5)]).read({"k": "1", "zz": "\x00"})
    assert (reading.key, reading.changes, reading.messages) == ("1", {}, [])


@pytest.mark.parametrize(
    ("value", "blank"),
    [
        (None, True),
        ("", True),
        ("  ", True),
        ("\x1c", False),  # str.strip drops U+001C, but it is a control character
        ("a", False),
        (0, False),
        (True, False),
        ([], False),
    ],
)
def test_is_blank(value: Any, blank: bool) -> None:
    assert is_blank(value) is blank


@pytest.mark.parametrize("value", VALUES + [None], ids=repr)
def test_require_on_insert_follows_fields(value: Any) -> None:
    # Given a record whose `nome` is the value, read by both
    record = {"nome": value}
    fields = Fields(record)
    fields.require_on_insert("nome")
    reading = FieldPlan(plan.key("k", 5), []).read({**record, "k": "1"})
    # When the insert-only requirement is checked
    reading.require_on_insert("nome")
    # Then the same message, or none, is reported
    assert reading.messages == fields.messages
