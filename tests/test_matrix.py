"""What the matrix (scripts/matrix) adds to the core set: installs into databases of every
server encoding through a plain DSN, and installs by a database owner that is not a superuser,
with and without CREATEROLE, as on managed services. All of it is in the core set, so it runs
on every supported major, encoding and locale, and in the main suite on Debian's 15."""

from __future__ import annotations

import fcntl
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from migrator.cluster import ThrowawayCluster

from conftest import (
    TEST_ENCODING,
    TEST_LOCALE,
    Server,
    create_database_sql,
    load_fixture,
    run_cli,
)

pytestmark = pytest.mark.core  # the matrix runs all of it (pyproject.toml)


def q(dsn: str, query: str | sql.Composable, params: object = None) -> list[tuple]:
    # UTF8 as psql in a UTF-8 terminal; the DSNs here leave it out (see plain_dsn)
    with psycopg.connect(dsn, autocommit=True, client_encoding="UTF8") as c:
        cur = c.execute(query, params)
        return cur.fetchall() if cur.description else []


def plain_dsn(server_dsn: str, dbname: str, user: str | None = None) -> str:
    """A DSN as a user writes it: no client_encoding (the CLI must choose its own)."""
    extra = {"user": user} if user else {}
    return make_conninfo(server_dsn, dbname=dbname, **extra)


@pytest.fixture
def databases(server: Server) -> Iterator[Callable[..., str]]:
    """Factory: a new database with this encoding and locale (and owner), dropped after."""
    made: list[str] = []

    def make(encoding: str | None, locale: str | None, owner: str | None = None) -> str:
        name = f"recon_enc_{uuid.uuid4().hex[:12]}"
        stmt = create_database_sql(name, encoding, locale)
        if owner:
            stmt = sql.SQL("{} OWNER {}").format(stmt, sql.Identifier(owner))
        q(server.dsn, stmt)
        made.append(name)
        return name

    yield make
    for name in made:
        server.janitor(name).drop()


# The main suite tries every encoding here; a matrix cell, its own.
ENCODINGS = [(TEST_ENCODING or "UTF8", TEST_LOCALE)] if TEST_ENCODING or TEST_LOCALE else [
    ("SQL_ASCII", "C"), ("LATIN1", "C"), ("UTF8", "C")]


@pytest.mark.parametrize(("encoding", "locale"), ENCODINGS)
def test_install_reconcile_uninstall_in_every_encoding(
        server: Server, databases: Callable[..., str], encoding: str, locale: str | None) -> None:
    """A SQL_ASCII database failed with 42883 (sql_identifier = bytea): psycopg reads text as
    bytes there unless the client encoding is UTF8, which the CLI now always sets, whatever the
    DSN or PGCLIENTENCODING say."""
    dsn = plain_dsn(server.dsn, databases(encoding, locale))
    for env in ({}, {"PGCLIENTENCODING": "SQL_ASCII"}):
        proc = run_cli("install", dsn=dsn, env=env)
        assert proc.returncode == 0, proc.stderr
        assert run_cli("status", dsn=dsn, env=env).returncode == 0
    assert q(dsn, "SELECT pg_encoding_to_char(encoding) FROM pg_database"
                  " WHERE datname = current_database()") == [(encoding,)]
    load_fixture(dsn, "seed000.sql", "seed000_register.sql")
    assert run_cli("check", dsn=dsn).returncode == 0  # synced: exit 0
    q(dsn, "UPDATE seed000.wallet_account SET balance = balance + 7 WHERE id ="
           " (SELECT id FROM seed000.wallet_account ORDER BY id LIMIT 1)")
    proc = run_cli("check", "--format", "json", "--fail-on", "LOW", dsn=dsn)
    assert proc.returncode == 1 and '"status": "discrepancy"' in proc.stdout, proc.stderr
    proc = run_cli("uninstall", "--yes", dsn=dsn)
    assert proc.returncode == 0, proc.stderr
    assert q(dsn, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%recon%'") == [(0,)]


@pytest.fixture
def login_role(server: Server) -> Iterator[Callable[..., str]]:
    """Factory: a LOGIN role (cluster-wide, so a unique name), dropped afterwards (ask for it
    before `databases`, so that the databases it owns are dropped first)."""
    made: list[str] = []

    def make(*attributes: str) -> str:
        name = f"recon_owner_{uuid.uuid4().hex[:10]}"
        q(server.dsn, sql.SQL("CREATE ROLE {} LOGIN " + " ".join(attributes))
          .format(sql.Identifier(name)))
        made.append(name)
        return name

    yield make
    for name in made:
        q(server.dsn, sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_owner_without_createrole_installs_once_the_roles_exist(
        server: Server, template_db: str, login_role: Callable[..., str],
        databases: Callable[..., str]) -> None:
    # template_db: installed by the superuser, so recon_auditor and recon_operator exist
    owner = login_role()  # neither superuser nor CREATEROLE
    name = databases(TEST_ENCODING, TEST_LOCALE, owner)
    dsn = plain_dsn(server.dsn, name, owner)
    proc = run_cli("install", dsn=dsn)
    assert proc.returncode == 0, proc.stderr
    assert q(dsn, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'recon'") \
        == [(owner,)]
    load_fixture(dsn, "seed000.sql", "seed000_register.sql")
    q(dsn, "SELECT recon.enable_guard('drift', 's0_ledger', '{\"mode\": \"block\"}')")
    with pytest.raises(psycopg.Error) as ei:  # the owner's own bad write is blocked too
        q(dsn, "UPDATE seed000.wallet_account SET balance = balance + 1 WHERE id ="
               " (SELECT id FROM seed000.wallet_account ORDER BY id LIMIT 1)")
    assert ei.value.sqlstate == "RC401"
    q(dsn, "SELECT recon.disable_guard('drift', 's0_ledger')")
    assert run_cli("check", dsn=dsn).returncode == 0
    proc = run_cli("uninstall", "--yes", dsn=dsn)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def fresh_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of our own (the same binaries) where the toolkit's roles do not exist yet;
    started under conftest's lock, as the sessions' servers are (a free port each)."""
    cluster = ThrowawayCluster()
    with open(tmp_path_factory.getbasetemp().parent / "cluster-start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cluster.start()
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


def test_owner_with_createrole_installs_where_the_roles_do_not_exist(
        fresh_cluster: str) -> None:
    for role, attributes in (("plain_owner", ""), ("createrole_owner", "CREATEROLE")):
        q(fresh_cluster, f"CREATE ROLE {role} LOGIN {attributes}")
        q(fresh_cluster, create_database_sql(role, TEST_ENCODING, TEST_LOCALE)
          + sql.SQL(" OWNER {}").format(sql.Identifier(role)))
    roles = "SELECT rolname FROM pg_roles WHERE rolname LIKE 'recon\\_%' ORDER BY 1"

    # without CREATEROLE: refused before anything is written, naming what to do
    plain = plain_dsn(fresh_cluster, "plain_owner", "plain_owner")
    proc = run_cli("install", dsn=plain)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "may not create roles; nothing was changed" in line
    assert "CREATE ROLE recon_auditor NOLOGIN" in line
    assert q(plain, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%recon%'") == [(0,)]
    assert q(fresh_cluster, roles) == []

    # with CREATEROLE: the roles are made; register, reconcile and repair as that owner
    owner = plain_dsn(fresh_cluster, "createrole_owner", "createrole_owner")
    proc = run_cli("install", dsn=owner)
    assert proc.returncode == 0, proc.stderr
    assert q(fresh_cluster, roles) == [("recon_auditor",), ("recon_operator",)]
    assert q(fresh_cluster, "SELECT pg_has_role('recon_operator', 'recon_auditor', 'MEMBER')") \
        == [(True,)]
    load_fixture(owner, "seed000.sql", "seed000_register.sql")
    q(owner, "UPDATE seed000.wallet_account SET balance = balance + 5 WHERE id IN"
             " (SELECT id FROM seed000.wallet_account ORDER BY id LIMIT 2)")
    assert run_cli("check", dsn=owner).returncode == 1  # two wallets: HIGH
    proc = run_cli("fix", "--apply", "--ticket", "T-1", "--reason", "matrix", "--yes", dsn=owner)
    assert proc.returncode == 0 and "2 step(s): 2 applied" in proc.stdout, proc.stdout
    assert run_cli("check", "--fail-on", "LOW", dsn=owner).returncode == 0
    assert q(owner, "SELECT DISTINCT session_user_name::text FROM recon.repairs") == [("createrole_owner",)]

    # and now that the roles exist, the owner without CREATEROLE installs too
    proc = run_cli("install", dsn=plain)
    assert proc.returncode == 0, proc.stderr
    assert run_cli("status", dsn=plain).returncode == 0
