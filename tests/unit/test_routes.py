"""One declared list of routes, and one boundary between services and storage (issue 9).

The registry (itg/services/registry.py) is the list of write routes: permissions, the API and
the worker read it. Services reach the database only through the chunk store, and storage
keeps no list of routes.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import itg
import itg.services
from itg.permissions import PROCESS_ROUTE, all_routes, parse_routes, write_routes
from itg.services.base import Service
from itg.services.registry import SERVICES

# SPEC 1.1's route names, in its order.
SPEC_WRITE_ROUTES = (
    "people",
    "absences",
    "paymentDate",
    "anticipate",
    "subsidiaries",
    "costcenter",
    "users",
)
ITG = Path(itg.__file__).parent


def test_the_registry_holds_the_write_routes_of_spec_1_1_in_its_order():
    assert tuple(SERVICES) == SPEC_WRITE_ROUTES
    assert all(SERVICES[route].route == route for route in SERVICES)


def test_permissions_are_the_registry_s_routes_and_the_monitor():
    assert write_routes() == tuple(SERVICES)
    assert all_routes() == (*SERVICES, PROCESS_ROUTE)
    assert parse_routes("all") == all_routes()
    assert parse_routes("users, people") == ("people", "users")


def test_every_service_module_ends_with_its_registered_service():
    # A module with a SERVICE that is not in the registry would be a route nobody can reach.
    found = {}
    for info in pkgutil.iter_modules(itg.services.__path__):
        module = importlib.import_module(f"itg.services.{info.name}")
        service = getattr(module, "SERVICE", None)
        if service is not None:
            assert isinstance(service, Service), info.name
            found[service.route] = service
    assert found == SERVICES


def test_services_reach_storage_only_through_the_chunk_store():
    for path in (ITG / "services").glob("*.py"):
        imported = _imports(path)
        assert not {name for name in imported if name.split(".")[0] == "sqlalchemy"}, path.name
        assert not {name for name in imported if name.startswith("itg.storage")}, path.name


def test_storage_keeps_no_route_list():
    for path in (ITG / "storage").rglob("*.py"):
        imported = _imports(path)
        assert not {
            name for name in imported if name.startswith(("itg.permissions", "itg.services"))
        }, path.name


def _imports(path: Path) -> set[str]:
    """The modules a source file imports (absolute imports; itg uses no relative ones)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names
