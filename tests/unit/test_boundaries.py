"""Boundaries of issue 9: the API builds HTTP only (the workers belong to `itg serve`), and
production code has no setting for the crash tests' faults (they plug in as WorkerHooks)."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import itg
from itg.settings import Settings

PACKAGE = Path(itg.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_api_package_does_not_import_the_workers():
    offenders = {
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / "api").rglob("*.py")
        if "itg.worker" in imported_modules(path)
    }
    assert offenders == set()


def test_no_setting_or_variable_exists_for_test_faults():
    assert [field.name for field in fields(Settings) if field.name.startswith("test_")] == []
    mentions = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "ITG_TEST_" in path.read_text(encoding="utf-8")
    ]
    assert mentions == []
