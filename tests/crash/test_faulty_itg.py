"""The fault launcher itself (tests/crash/faulty_itg.py) and its hooks (tests/faults.py): the
hooks a spawned process gets are the ones the test built, and each fault fires only where it
is aimed."""

from __future__ import annotations

from dataclasses import fields

import pytest

from itg.services.registry import SERVICES
from tests.crash.faulty_itg import parse
from tests.faults import FaultHooks

PEOPLE = SERVICES["people"]


def test_the_launcher_rebuilds_the_hooks_it_is_given_and_passes_the_rest_to_itg():
    # Given hooks with every fault set, and none
    hooks = FaultHooks(
        fail_identifier="P7",
        chunk_delay_seconds=0.3,
        fail_error_entries=True,
        kill_after_store=True,
        kill_after_finish=True,
    )
    assert [f.name for f in fields(FaultHooks) if getattr(hooks, f.name) == f.default] == []
    # When their options are parsed back, followed by an itg command
    given = parse([*hooks.options(), "--", "worker", "--concurrency", "2"])
    # Then the same hooks come back, and itg gets exactly the words after `--`
    assert given == (hooks, ["worker", "--concurrency", "2"])
    assert parse([*FaultHooks().options(), "--", "serve"]) == (FaultHooks(), ["serve"])


def test_the_poison_fault_fires_only_on_a_chunk_holding_that_identifier():
    hooks = FaultHooks(fail_identifier="P7")
    hooks.after_chunk_applied(PEOPLE, [(0, {"matricula": "P6"}), (1, "not an object")])
    with pytest.raises(RuntimeError, match="injected fault: record 'P7'"):
        hooks.after_chunk_applied(PEOPLE, [(0, {"matricula": "P6"}), (1, {"matricula": "P7"})])
    FaultHooks().before_error_entries_commit()
    with pytest.raises(RuntimeError, match="injected fault: error entries"):
        FaultHooks(fail_error_entries=True).before_error_entries_commit()
