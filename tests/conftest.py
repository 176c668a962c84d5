"""Test harness: one PostgreSQL server per session, the toolkit installed once into a
template database by the migrator's own CLI, and a fresh clone of it for every test.

The server is, in order of preference:
  (c) an existing server named by WALLET_RECON_TEST_DSN (a superuser DSN; the tests
      create and drop their own databases in it), or
  (a)/(b) a throwaway cluster from the local PostgreSQL binaries (PG_BINDIR selects them),
      owned by the invoking user, or when running as root by an unprivileged system user
      (migrator.cluster).

WALLET_RECON_TEST_ENCODING and WALLET_RECON_TEST_LOCALE (scripts/matrix sets them) make every
database the tests create, from a template or not, have that server encoding and locale: they
are all made from one base database created with them (`C`, a libc locale such as `C.UTF-8`,
or `icu:<ICU locale>` for an ICU database, PostgreSQL 15 and later). WALLET_RECON_PG_DUMP names
the pg_dump to use (one at least as new as the server; default: PG_BINDIR's or the local one).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads
from pytest_postgresql.janitor import DatabaseJanitor

from migrator.cluster import ThrowawayCluster, find_bindir
from migrator.sqlfile import read_sql

ROOT = Path(__file__).resolve().parent.parent
WALLET_RECON = str(Path(sys.executable).parent / "wallet-recon")
CRON_DATABASE = "recon_cron"


TEST_ENCODING = os.environ.get("WALLET_RECON_TEST_ENCODING")
TEST_LOCALE = os.environ.get("WALLET_RECON_TEST_LOCALE")


@dataclass
class Server:
    dsn: str
    # the template of every database made without one (WALLET_RECON_TEST_ENCODING/_LOCALE)
    base: str | None = None

    @property
    def params(self) -> dict:
        return {k: v for k, v in conninfo_to_dict(self.dsn).items() if v is not None}

    def dsn_for(self, dbname: str) -> str:
        if self.base:
            # The tests' own connections speak UTF8, as psql in a UTF-8 terminal does (in a
            # SQL_ASCII database psycopg would read text as bytes). The CLI sets it itself:
            # tests/test_matrix.py installs with a DSN without it.
            return make_conninfo(self.dsn, dbname=dbname, client_encoding="UTF8")
        return make_conninfo(self.dsn, dbname=dbname)

    def janitor(self, dbname: str, template: str | None = None) -> DatabaseJanitor:
        p = self.params
        return DatabaseJanitor(
            user=p.get("user", "postgres"), host=p.get("host", "127.0.0.1"),
            port=p.get("port", 5432), password=p.get("password"), dbname=dbname,
            template_dbname=template or self.base,
            maintenance_dbname=p.get("dbname", "postgres"),
        )


def create_database_sql(name: str, encoding: str | None, locale: str | None) -> sql.Composed:
    """CREATE DATABASE name with that encoding and locale (`C`, a libc locale, or
    `icu:<locale>`), from template0 as PostgreSQL requires for a different encoding."""
    parts = [sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))]
    if encoding:
        parts.append(sql.SQL("ENCODING {}").format(sql.Literal(encoding)))
    if locale and locale.startswith("icu:"):
        parts.append(sql.SQL("LOCALE_PROVIDER icu ICU_LOCALE {} LOCALE 'C'")
                     .format(sql.Literal(locale[4:])))
    elif locale:
        parts.append(sql.SQL("LOCALE {}").format(sql.Literal(locale)))
    return sql.SQL(" ").join(parts)


@contextmanager
def _with_base(dsn: str) -> Iterator[Server]:
    if not (TEST_ENCODING or TEST_LOCALE):
        yield Server(dsn)
        return
    server = Server(dsn)
    base = _new_name("recon_base")
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(create_database_sql(base, TEST_ENCODING, TEST_LOCALE))
    try:
        yield Server(dsn, base)
    finally:
        server.janitor(base).drop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    dsn = os.environ.get("WALLET_RECON_TEST_DSN")
    if dsn:
        with _with_base(dsn) as server:
            yield server
        return
    # pg_cron is loaded as a real installation would load it; it schedules in one database
    # (CRON_DATABASE), which tests/test_guards.py creates.
    cluster = ThrowawayCluster({"shared_preload_libraries": "'pg_cron'",
                                "cron.database_name": f"'{CRON_DATABASE}'"})
    # Each pytest-xdist worker is a session of its own, with a cluster of its own. They start
    # one at a time (a lock in the run's shared temporary directory), so that two never take
    # the same free port, nor, as root, create the cluster's system user at once.
    with open(tmp_path_factory.getbasetemp().parent / "cluster-start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cluster.start()
    try:
        with _with_base(cluster.dsn) as server:
            yield server
    finally:
        cluster.stop()


def run_cli(*args: str, dsn: str | None = None, timeout: float = 120,
            env: dict | None = None, cwd: str | Path | None = None,
            exe: str = WALLET_RECON) -> subprocess.CompletedProcess[str]:
    """Run the wallet-recon console script as a user would."""
    full_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if dsn:
        full_env["DATABASE_URL"] = dsn
    full_env.update(env or {})
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=cwd)


def _new_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def template_db(server: Server) -> Iterator[str]:
    name = _new_name("recon_tmpl")
    janitor = server.janitor(name)
    janitor.init()
    try:
        proc = run_cli("install", dsn=server.dsn_for(name))
        assert proc.returncode == 0, proc.stderr
        yield name
    finally:
        janitor.drop()


def _db_factory(server: Server) -> Iterator[Callable[..., str]]:
    janitors: list[DatabaseJanitor] = []

    def make(template: str | None = None) -> str:
        name = _new_name("recon_test")
        janitor = server.janitor(name, template)
        janitor.init()
        janitors.append(janitor)
        return server.dsn_for(name)

    yield make
    for j in janitors:
        j.drop()


@pytest.fixture
def make_db(server: Server) -> Iterator[Callable[..., str]]:
    """Factory: a new database (empty, or cloned from a template); dropped afterwards."""
    yield from _db_factory(server)


@pytest.fixture(scope="module")
def make_module_db(server: Server) -> Iterator[Callable[..., str]]:
    """make_db for a database that a module's tests share (only where they do not change what
    the others read); dropped after the module."""
    yield from _db_factory(server)


@pytest.fixture(scope="session")
def fixture_template(server: Server, template_db: str) -> Iterator[Callable[..., str]]:
    """Factory: the name of a database with the toolkit installed, then the given
    tests/fixtures/ files run in order and the given SQL statements after them; made once per
    session for each distinct set of arguments. Tests never connect to it: they clone it with
    `make_db` (CREATE DATABASE ... TEMPLATE), which is much cheaper than loading a seed and
    registering it again for every test, and gives every test the same fresh state."""
    made: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
    janitors: list[DatabaseJanitor] = []

    def get(*names: str, sql: tuple[str, ...] = ()) -> str:
        key = (names, tuple(sql))
        if key not in made:
            name = _new_name("recon_fxtmpl")
            janitor = server.janitor(name, template_db)
            janitor.init()
            janitors.append(janitor)
            dsn = server.dsn_for(name)
            load_fixture(dsn, *names)
            with psycopg.connect(dsn, autocommit=True) as c:
                for stmt in sql:
                    c.execute(stmt)
            made[key] = name
        return made[key]

    yield get
    for j in janitors:
        j.drop()


@pytest.fixture
def db(make_db: Callable[..., str], template_db: str) -> str:
    """DSN of a fresh database with the toolkit installed."""
    return make_db(template_db)


@pytest.fixture
def empty_db(make_db: Callable[..., str]) -> str:
    """DSN of a fresh database without the toolkit."""
    return make_db()


@pytest.fixture
def conn(db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db, autocommit=True) as c:
        yield c


def schema_dump(dsn: str) -> str:
    """pg_dump --schema-only, minus the lines that differ between two dumps of one schema."""
    pg_dump = os.environ.get("WALLET_RECON_PG_DUMP") or str(find_bindir() / "pg_dump")
    out = subprocess.run(
        [pg_dump, "--schema-only", "--dbname", dsn],
        capture_output=True, text=True, check=True,
    ).stdout
    return "\n".join(line for line in out.splitlines()
                     if not re.match(r"^\\(un)?restrict ", line))


@pytest.fixture
def installed_schema(make_db: Callable[..., str], template_db: str) -> str:
    """schema_dump of a fresh install of the shipped SQL by `wallet-recon install`: a clone of
    template_db, which the CLI installed (the same as installing into a new database, without
    the time it takes)."""
    return schema_dump(make_db(template_db))


@pytest.fixture
def sql_copy(tmp_path: Path) -> Path:
    """A private copy of the toolkit's SQL tree, to change files in."""
    import shutil

    dest = tmp_path / "sql"
    for d in ("migrations", "functions", "views", "triggers"):
        shutil.copytree(ROOT / d, dest / d)
    return dest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Under CI=true a skipped test is a failure: no skip may pass for coverage."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which is not allowed: {report.longrepr}"


FIXTURES = ROOT / "tests" / "fixtures"


def load_fixture(dsn: str, *names: str) -> None:
    """Run SQL files from tests/fixtures/ (a seed's schema and data, its registration)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        for name in names:
            c.execute(read_sql(FIXTURES / name).encode())


def run(dsn: str, *sql: str) -> None:
    """Each statement from a plain autocommit connection, in order."""
    with psycopg.connect(dsn, autocommit=True) as c:
        for stmt in sql:
            c.execute(stmt)


def rows(dsn: str, sql: str, params: object = None) -> list[dict]:
    """A query's rows as dicts, from a plain autocommit connection."""
    with psycopg.connect(dsn, autocommit=True) as c, c.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def reconcile(dsn: str, *args: object) -> dict:
    """SELECT recon.reconcile(...) from a plain connection; the JSON summary."""
    placeholders = ", ".join(["%s"] * len(args))
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute(f"SELECT recon.reconcile({placeholders})", args).fetchone()[0]


def open_findings(dsn: str, check: str | None = None) -> list[dict]:
    """Rows of recon.open_findings as dicts, optionally of one check."""
    with psycopg.connect(dsn, autocommit=True) as c, c.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM recon.open_findings WHERE %(check)s::text IS NULL"
                    " OR check_name = %(check)s ORDER BY check_name, wallet_key, id",
                    {"check": check})
        return cur.fetchall()


def decimal_json(conn: psycopg.Connection) -> None:
    """JSON numbers as Decimal on this connection, so amounts and balances compare exactly."""
    set_json_loads(lambda s: json.loads(s, parse_float=Decimal), conn)


def fix(dsn: str, **args: object) -> list[dict]:
    """SELECT * FROM recon.fix(name => value, ...) from a plain connection: the plan (or what
    was applied), one dict per step, JSON numbers as Decimal. E.g. fix(dsn, dry_run=False,
    ticket="T", reason="r")."""
    named = ", ".join(f"{k} => %({k})s" for k in args)
    with psycopg.connect(dsn, autocommit=True) as c:
        decimal_json(c)
        with c.cursor(row_factory=dict_row) as cur:
            return cur.execute(f"SELECT * FROM recon.fix({named})", args).fetchall()
