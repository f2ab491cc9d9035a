"""The back-office command line (SPEC 4), run as a real `python -m itg` subprocess.

Every command's stdout, stderr and exit status are compared exactly; every state change is
checked again through the CLI's own list commands or by opening the database it wrote.
"""

from __future__ import annotations

import re
import time

import pytest

from itg import security
from itg.processes.queries import by_subunique
from itg.storage import catalogs, tenants
from tests.cli.conftest import finished_process

ALL_ROUTES = [
    "people",
    "absences",
    "paymentDate",
    "anticipate",
    "subsidiaries",
    "costcenter",
    "users",
    "process",
]
ALL_ROUTES_TEXT = ",".join(ALL_ROUTES)
PASSWORD = re.compile(r"[A-Za-z0-9_-]{22,}")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
INIT_LINES = re.compile(r"company: a000001\nusername: integrador\npassword: (\S+)\n")


def password_works(db, username: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    credential = tenants.load_credential(db, username)
    assert credential is not None
    return security.password_matches(password, credential.password_salt, credential.password_hash)


# --- init ------------------------------------------------------------------------------------


def test_init_prints_the_credentials_once_and_is_idempotent(cli, database):
    # Given an empty directory, when `itg init` runs
    first = cli.ok("init")
    # Then it prints the three lines, and the printed password is the user's
    match = INIT_LINES.fullmatch(first.stdout)
    assert match is not None, first.stdout
    assert PASSWORD.fullmatch(match.group(1))
    # When it runs again, plainly and with --json
    again = cli.ok("init")
    again_json = cli.ok("init", "--json")
    # Then nothing more is created or printed
    assert again.stdout == (
        "database is up to date; it already has a company, so nothing was created\n"
    )
    assert again_json.json() == {"company": None, "username": None, "password": None}
    assert again_json.stdout == '{"company":null,"username":null,"password":null}\n'
    with database() as db:
        assert [(c.code, c.name, c.enabled) for c in tenants.list_companies(db)] == [
            ("a000001", "Company", True)
        ]
        users = tenants.list_users(db, "a000001")
        assert [(u.username, list(u.routes), u.enabled) for u in users] == [
            ("integrador", ALL_ROUTES, True)
        ]
        assert password_works(db, "integrador", match.group(1))


def test_init_json_on_a_fresh_database(cli, database):
    result = cli.ok("init", "--json")
    body = result.json()
    assert list(body) == ["company", "username", "password"]
    assert body["company"] == "a000001"
    assert body["username"] == "integrador"
    assert PASSWORD.fullmatch(body["password"]), body["password"]
    with database() as db:
        assert password_works(db, "integrador", body["password"])
        assert not password_works(db, "integrador", body["password"] + "x")


def test_init_with_a_company_code_and_name(cli):
    body = cli.ok("init", "--company", "b000042", "--name", "Beta Ltda", "--json").json()
    assert (body["company"], body["username"]) == ("b000042", "integrador")
    assert cli.ok("company", "list").stdout == "b000042\tenabled\tBeta Ltda\n"


def test_init_writes_itg_db_in_the_working_directory_by_default(cli):
    # Given no ITG_DATABASE_URL at all
    result = cli("init", "--json", ITG_DATABASE_URL=None)
    # Then the database is ./itg.db in the working directory
    assert (result.status, result.stderr) == (0, "")
    assert result.json()["company"] == "a000001"
    assert (cli.cwd / "itg.db").is_file()


# --- companies -------------------------------------------------------------------------------


def test_company_create_list_and_disable(cli):
    created = cli.ok("company", "create", "b000001", "--name", "Beta")
    assert created.stdout == "company: b000001\nname: Beta\n"
    created_json = cli.ok("company", "create", "c000001", "--name", "Gama Ltda", "--json")
    assert created_json.stdout == '{"code":"c000001","name":"Gama Ltda"}\n'
    assert cli.ok("company", "list").stdout == (
        "b000001\tenabled\tBeta\nc000001\tenabled\tGama Ltda\n"
    )

    disabled = cli.ok("company", "disable", "b000001")

    assert disabled.stdout == "company b000001 disabled\n"
    assert cli.ok("company", "list").stdout == (
        "b000001\tdisabled\tBeta\nc000001\tenabled\tGama Ltda\n"
    )
    assert cli.ok("company", "list", "--json").json() == [
        {"code": "b000001", "name": "Beta", "enabled": False},
        {"code": "c000001", "name": "Gama Ltda", "enabled": True},
    ]


def test_company_list_of_an_empty_database_prints_nothing(cli):
    assert cli.ok("company", "list").stdout == ""
    assert cli.ok("company", "list", "--json").stdout == "[]\n"


def test_a_duplicate_company_exits_1_with_one_line(cli):
    cli.ok("company", "create", "b000001", "--name", "Beta")

    result = cli("company", "create", "b000001", "--name", "Other")

    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "itg: error: company b000001 already exists\n"
    assert cli.ok("company", "list").stdout == "b000001\tenabled\tBeta\n"


def test_disabling_an_unknown_company_exits_1(cli):
    result = cli("company", "disable", "zzz")
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "itg: error: company zzz not found\n"


def test_a_malformed_company_code_is_a_usage_error(cli):
    result = cli("company", "create", "bad code", "--name", "X")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == (
        "itg: error: company code must be 1-30 letters, digits, '_' or '-', got 'bad code'\n"
    )
    assert cli.ok("company", "list").stdout == ""


# --- service users ---------------------------------------------------------------------------


def test_user_create_with_routes_prints_json(cli, database, initialized):
    result = cli.ok("user", "create", "erp", "--company", "a000001", "--routes", "people,process")

    assert result.lines[:2] == ["company: a000001", "username: erp"]
    assert result.lines[3:] == ["routes: people,process"]
    assert len(result.lines) == 4
    password = result.lines[2].removeprefix("password: ")
    assert PASSWORD.fullmatch(password)
    with database() as db:
        assert password_works(db, "erp", password)

    as_json = cli.ok(
        "user", "create", "erp2", "--company", "a000001", "--routes", "people,process", "--json"
    )

    body = as_json.json()
    assert list(body) == ["username", "password", "company", "routes"]
    assert body["username"] == "erp2"
    assert body["company"] == "a000001"
    assert body["routes"] == ["people", "process"]
    assert PASSWORD.fullmatch(body["password"])
    assert body["password"] != password
    with database() as db:
        credential = tenants.load_credential(db, "erp2")
        assert credential is not None
        assert credential.routes == frozenset({"people", "process"})
        assert password_works(db, "erp2", body["password"])


def test_routes_all_expands_to_the_eight_routes_in_order(cli, initialized):
    body = cli.ok(
        "user", "create", "erp", "--company", "a000001", "--routes", "all", "--json"
    ).json()

    assert body["routes"] == ALL_ROUTES
    default = cli.ok("user", "create", "erp2", "--company", "a000001", "--json").json()
    assert default["routes"] == ALL_ROUTES


def test_an_unknown_route_name_exits_2_and_creates_nothing(cli, initialized):
    result = cli("user", "create", "erp", "--company", "a000001", "--routes", "people,bogus")

    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == (
        "itg: error: unknown route name 'bogus' (use all or people, absences, paymentDate, "
        "anticipate, subsidiaries, costcenter, users, process)\n"
    )
    assert cli.ok("user", "list", "--company", "a000001").stdout == (
        f"integrador\tenabled\t{ALL_ROUTES_TEXT}\n"
    )


def test_an_empty_route_list_exits_2(cli, initialized):
    result = cli("user", "create", "erp", "--company", "a000001", "--routes", " , ")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == "itg: error: --routes needs at least one route name\n"


def test_user_create_for_an_unknown_company_exits_1(cli, initialized):
    result = cli("user", "create", "erp", "--company", "zzz")
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "itg: error: company zzz not found\n"


def test_a_duplicate_username_exits_1(cli, database, initialized):
    result = cli("user", "create", "integrador", "--company", "a000001", "--routes", "people")
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "itg: error: user integrador already exists\n"
    with database() as db:
        credential = tenants.load_credential(db, "integrador")
        assert credential is not None
        assert credential.routes == frozenset(ALL_ROUTES)


def test_reset_password_gives_a_new_password_and_the_old_one_stops_working(
    cli, database, initialized
):
    old = initialized

    result = cli.ok("user", "reset-password", "integrador", "--json")

    body = result.json()
    assert list(body) == ["username", "password", "company", "routes"]
    assert (body["username"], body["company"], body["routes"]) == (
        "integrador",
        "a000001",
        ALL_ROUTES,
    )
    assert PASSWORD.fullmatch(body["password"])
    assert body["password"] != old
    with database() as db:
        assert password_works(db, "integrador", body["password"])
        assert not password_works(db, "integrador", old)

    plain = cli.ok("user", "reset-password", "integrador")

    assert plain.lines[0:2] == ["company: a000001", "username: integrador"]
    assert plain.lines[3:] == [f"routes: {ALL_ROUTES_TEXT}"]
    newest = plain.lines[2].removeprefix("password: ")
    assert newest not in (old, body["password"])
    with database() as db:
        assert password_works(db, "integrador", newest)
        assert not password_works(db, "integrador", body["password"])


def test_reset_password_of_an_unknown_user_exits_1(cli, initialized):
    result = cli("user", "reset-password", "nobody", "--json")
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "itg: error: user nobody not found\n"


def test_user_disable(cli, database, initialized):
    cli.ok("user", "create", "erp", "--company", "a000001", "--routes", "people,process")

    result = cli.ok("user", "disable", "erp")

    assert result.stdout == "user erp disabled\n"
    assert cli.ok("user", "list", "--company", "a000001").stdout == (
        f"erp\tdisabled\tpeople,process\nintegrador\tenabled\t{ALL_ROUTES_TEXT}\n"
    )
    with database() as db:
        erp = tenants.load_credential(db, "erp")
        integrador = tenants.load_credential(db, "integrador")
        assert erp is not None and integrador is not None
        assert (erp.user_enabled, integrador.user_enabled) == (False, True)

    unknown = cli("user", "disable", "nobody")
    assert (unknown.status, unknown.stdout) == (1, "")
    assert unknown.stderr == "itg: error: user nobody not found\n"


def test_user_list_of_a_company(cli, initialized):
    cli.ok("company", "create", "b000001", "--name", "Beta")
    cli.ok("user", "create", "beta-erp", "--company", "b000001", "--routes", "users")
    cli.ok("user", "create", "alpha.erp", "--company", "a000001", "--routes", "process")

    listed = cli.ok("user", "list", "--company", "a000001")
    listed_json = cli.ok("user", "list", "--company", "a000001", "--json")

    assert listed.stdout == (
        f"alpha.erp\tenabled\tprocess\nintegrador\tenabled\t{ALL_ROUTES_TEXT}\n"
    )
    assert listed_json.json() == [
        {"username": "alpha.erp", "company": "a000001", "routes": ["process"], "enabled": True},
        {"username": "integrador", "company": "a000001", "routes": ALL_ROUTES, "enabled": True},
    ]
    assert cli.ok("user", "list", "--company", "b000001").stdout == ("beta-erp\tenabled\tusers\n")
    unknown = cli("user", "list", "--company", "zzz")
    assert (unknown.status, unknown.stdout) == (1, "")
    assert unknown.stderr == "itg: error: company zzz not found\n"


# --- catalogs --------------------------------------------------------------------------------


def test_catalog_add_reason_then_list(cli, initialized):
    added = cli.ok("catalog", "add", "reason", "--company", "a000001", "AT", "Atestado médico")

    assert added.stdout == "reason AT added\n"
    assert cli.ok("catalog", "list", "reason", "--company", "a000001").stdout == (
        "AT\tAtestado médico\n"
    )
    assert cli.ok("catalog", "list", "reason", "--company", "a000001", "--json").json() == [
        {"key": "AT", "description": "Atestado médico"}
    ]


def test_a_duplicate_catalog_entry_exits_1(cli, initialized):
    cli.ok("catalog", "add", "reason", "--company", "a000001", "AT", "Atestado médico")

    result = cli("catalog", "add", "reason", "--company", "a000001", "at", "Outro")

    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "itg: error: reason 'at' already exists in a000001\n"
    assert cli.ok("catalog", "list", "reason", "--company", "a000001").stdout == (
        "AT\tAtestado médico\n"
    )


def test_catalog_add_schedule_and_profile(cli, initialized):
    schedule = cli.ok("catalog", "add", "schedule", "--company", "a000001", "E1", "Escala 6x1")
    profile = cli.ok("catalog", "add", "profile", "--company", "a000001", "Supervisor")

    assert schedule.stdout == "schedule E1 added\n"
    assert profile.stdout == "profile Supervisor added\n"
    assert cli.ok("catalog", "list", "schedule", "--company", "a000001").stdout == (
        "E1\tEscala 6x1\n"
    )
    assert cli.ok("catalog", "list", "profile", "--company", "a000001").stdout == (
        "Administrador\nApontador\nFuncionário\nGestor\nSupervisor\n"
    )


def test_a_new_company_has_exactly_the_four_default_profiles(cli):
    cli.ok("company", "create", "b000001", "--name", "Beta")

    listed = cli.ok("catalog", "list", "profile", "--company", "b000001", "--json").json()

    assert sorted(entry["key"] for entry in listed) == sorted(
        ["Administrador", "Gestor", "Apontador", "Funcionário"]
    )
    assert all(entry["key"] == entry["description"] for entry in listed)
    assert cli.ok("catalog", "list", "profile", "--company", "b000001").stdout == (
        "Administrador\nApontador\nFuncionário\nGestor\n"
    )
    assert cli.ok("catalog", "list", "reason", "--company", "b000001").stdout == ""


def test_catalog_errors(cli, initialized):
    unknown_kind = cli("catalog", "add", "bogus", "--company", "a000001", "K")
    unknown_company = cli("catalog", "list", "reason", "--company", "zzz")
    empty_key = cli("catalog", "add", "reason", "--company", "a000001", "  ")

    assert (unknown_kind.status, unknown_kind.stdout) == (2, "")
    assert unknown_kind.stderr.startswith("itg: error: Invalid value for 'kind': ")
    assert unknown_kind.stderr.count("\n") == 1
    assert (unknown_company.status, unknown_company.stdout) == (1, "")
    assert unknown_company.stderr == "itg: error: company zzz not found\n"
    assert (empty_key.status, empty_key.stdout) == (2, "")
    assert empty_key.stderr == "itg: error: the catalog key must not be empty\n"


# --- locked periods --------------------------------------------------------------------------


def locked(database, company: str = "a000001") -> set[str]:  # type: ignore[no-untyped-def]
    with database() as db, db.read() as conn:
        return catalogs.locked_competences(conn, tenants.company_id(conn, company))


def test_period_lock_and_unlock(cli, database, initialized):
    result = cli.ok("period", "lock", "--company", "a000001", "2024-01")

    assert result.stdout == "2024-01 locked\n"
    assert locked(database) == {"2024-01"}
    assert cli.ok("period", "lock", "--company", "a000001", "2024-01").stdout == (
        "2024-01 locked\n"
    )
    assert locked(database) == {"2024-01"}

    unlocked = cli.ok("period", "unlock", "--company", "a000001", "2024-01")

    assert unlocked.stdout == "2024-01 unlocked\n"
    assert locked(database) == set()
    again = cli("period", "unlock", "--company", "a000001", "2024-01")
    assert (again.status, again.stdout) == (1, "")
    assert again.stderr == "itg: error: 2024-01 is not locked in a000001\n"


def test_period_lock_trims_the_competence(cli, database, initialized):
    result = cli.ok("period", "lock", "--company", "a000001", " 2024-02 ")

    assert result.stdout == "2024-02 locked\n"
    assert locked(database) == {"2024-02"}


@pytest.mark.parametrize("competence", ["2024-13", "2024-00", "2024-1", "24-01", "2024/01"])
def test_a_malformed_competence_exits_2(cli, database, competence, initialized):
    result = cli("period", "lock", "--company", "a000001", competence)

    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == f"itg: error: competence must be AAAA-MM, got '{competence}'\n"
    assert locked(database) == set()


def test_period_lock_of_an_unknown_company_exits_1(cli, initialized):
    result = cli("period", "lock", "--company", "zzz", "2024-01")
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "itg: error: company zzz not found\n"


# --- usage errors, failures and the --database option ----------------------------------------


def test_an_unknown_option_exits_2(cli):
    result = cli("company", "list", "--bogus")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == "itg: error: No such option: --bogus\n"


def test_an_unknown_command_exits_2(cli):
    result = cli("frobnicate")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == "itg: error: No such command 'frobnicate'.\n"


def test_a_missing_required_option_exits_2(cli):
    result = cli("user", "list")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == "itg: error: Missing option '--company'.\n"


def test_a_group_without_its_command_shows_help_and_exits_2(cli):
    result = cli("company")
    assert result.status == 2
    assert "Usage: itg company [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert result.stderr == "itg: error: missing command\n"


def test_help_exits_0(cli):
    result = cli.ok("--help")
    assert "Usage: itg [OPTIONS] COMMAND [ARGS]..." in result.stdout
    for command in ("init", "serve", "worker", "purge", "company", "user", "catalog", "period"):
        assert re.search(rf"^\W*{command}\s", result.stdout, re.MULTILINE), command


def test_an_unreachable_database_is_one_line_and_exit_1(cli, tmp_path):
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'itg.db'}"
    result = cli("company", "list", "--database", missing)
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == (
        "itg: error: OperationalError: (sqlite3.OperationalError) unable to open database file\n"
    )


def test_an_unsupported_database_url_exits_1(cli):
    result = cli("company", "list", "--database", "mysql://localhost/itg")
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == (
        "itg: error: ITG_DATABASE_URL must start with sqlite:// or postgresql://, "
        "got 'mysql://localhost/itg'\n"
    )


def test_a_malformed_setting_exits_1_naming_the_variable(cli):
    result = cli("company", "list", ITG_VALIDITY_SECONDS="abc")
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == "itg: error: ITG_VALIDITY_SECONDS must be an integer, got 'abc'\n"


def test_the_database_option_overrides_the_environment(cli, database, tmp_path):
    # Given ITG_DATABASE_URL names one file and --database another
    other = f"sqlite:///{tmp_path / 'other.db'}"
    # When init runs through the option and a company is created through each
    assert cli.ok("init", "--json", "--database", other).json()["company"] == "a000001"
    cli.ok("company", "create", "envco", "--name", "From env")
    cli.ok("company", "create", "optco", "--name", "From option", "--database", other)
    # Then each landed in its own file
    assert cli.ok("company", "list").stdout == "envco\tenabled\tFrom env\n"
    assert cli.ok("company", "list", "--database", other).stdout == (
        "a000001\tenabled\tCompany\noptco\tenabled\tFrom option\n"
    )
    with database() as db:
        assert [c.code for c in tenants.list_companies(db)] == ["envco"]
    with database(other) as db:
        assert [c.code for c in tenants.list_companies(db)] == ["a000001", "optco"]


# --- purge -----------------------------------------------------------------------------------


def test_purge_json_on_an_empty_database(cli):
    result = cli.ok("purge", "--json")
    body = result.json()
    assert list(body) == ["purged", "at"]
    assert body["purged"] == 0
    assert ISO_UTC.fullmatch(body["at"]), body["at"]
    assert cli.ok("purge").stdout == "purged 0 processes\n"


def test_purge_removes_processes_past_validity_and_retention(cli, database, initialized):
    # Given one finished process
    with database() as db:
        company, accepted = finished_process(db, cli.database_url)
    # When purge runs before expiry (the default validity), nothing goes
    assert cli.ok("purge", "--json", ITG_RETENTION_DAYS="0").json()["purged"] == 0
    with database() as db, db.read() as conn:
        assert by_subunique(conn, company.id, accepted.subunique) is not None
    # Then after expiry, the process goes, once
    expiry = {"ITG_VALIDITY_SECONDS": "1", "ITG_RETENTION_DAYS": "0"}
    time.sleep(1.1)
    assert cli.ok("purge", "--json", **expiry).json()["purged"] == 1
    assert cli.ok("purge", "--json", **expiry).json()["purged"] == 0
    with database() as db, db.read() as conn:
        assert by_subunique(conn, company.id, accepted.subunique) is None
