"""The installed base schema: privileges, roles, comments, and plpgsql_check."""

from __future__ import annotations

import re

import psycopg
import pytest

from conftest import ROOT

TOOLKIT = "('recon', '_recon', '_recon_guard')"


def test_roles_exist_nologin_and_operator_includes_auditor(conn: psycopg.Connection) -> None:
    rows = dict(conn.execute("SELECT rolname, rolcanlogin FROM pg_roles"
                             " WHERE rolname IN ('recon_auditor', 'recon_operator')").fetchall())
    assert rows == {"recon_auditor": False, "recon_operator": False}
    assert conn.execute("SELECT pg_has_role('recon_operator', 'recon_auditor', 'MEMBER')"
                        ).fetchone()[0]


def test_no_toolkit_function_is_executable_by_public(conn: psycopg.Connection) -> None:
    """None but the three a drift guard's trigger functions call as the writer (docs/SECURITY.md)."""
    rows = conn.execute(f"""
        SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN {TOOLKIT}
          AND (p.proacl IS NULL OR EXISTS (
                SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'))
    """).fetchall()
    assert sorted(r[0] for r in rows) == ["_recon_guard.drift_spill(integer,text)",
                                          "_recon_guard.drift_tick(integer)",
                                          "_recon_guard.drift_verdict(integer,text)"]
    count = conn.execute(f"SELECT count(*) FROM pg_proc p JOIN pg_namespace n"
                         f" ON n.oid = p.pronamespace WHERE n.nspname IN {TOOLKIT}").fetchone()[0]
    assert count >= 2  # the check above looked at something


def test_every_toolkit_object_has_a_comment(conn: psycopg.Connection) -> None:
    missing = conn.execute(f"""
        SELECT 'schema ' || nspname FROM pg_namespace
        WHERE nspname IN {TOOLKIT} AND obj_description(oid, 'pg_namespace') IS NULL
        UNION ALL
        SELECT 'relation ' || c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN {TOOLKIT} AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
          AND obj_description(c.oid, 'pg_class') IS NULL
        UNION ALL
        SELECT 'column ' || c.oid::regclass || '.' || a.attname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname IN {TOOLKIT} AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '%yoyo%'
          AND col_description(c.oid, a.attnum) IS NULL
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN {TOOLKIT} AND obj_description(p.oid, 'pg_proc') IS NULL
        UNION ALL
        SELECT 'trigger ' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN {TOOLKIT} AND NOT t.tgisinternal AND obj_description(t.oid, 'pg_trigger') IS NULL
        UNION ALL
        SELECT 'role ' || rolname FROM pg_roles WHERE rolname IN ('recon_auditor', 'recon_operator')
          AND shobj_description(oid, 'pg_authid') IS NULL
    """).fetchall()
    assert missing == []


def test_roles_can_use_the_api_and_others_cannot(conn: psycopg.Connection) -> None:
    conn.execute("DROP ROLE IF EXISTS recon_test_nobody")
    conn.execute("CREATE ROLE recon_test_nobody NOLOGIN")
    try:
        for role in ("recon_auditor", "recon_operator"):
            with conn.transaction():
                conn.execute(f"SET LOCAL ROLE {role}")
                assert conn.execute("SELECT recon.version()").fetchone()[0] == "0.2.0"
                conn.execute("SELECT count(*) FROM recon.install_history")
                with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                    conn.execute("SELECT count(*) FROM _recon.migrator_meta")
        for query in ("SELECT recon.version()", "SELECT count(*) FROM recon.install_history"):
            with pytest.raises(psycopg.Error) as err, conn.transaction():
                conn.execute("SET LOCAL ROLE recon_test_nobody")
                conn.execute(query)
            assert err.value.sqlstate == "42501"
    finally:
        conn.execute("DROP ROLE recon_test_nobody")


def plpgsql_problems(conn: psycopg.Connection) -> list[tuple]:
    """plpgsql_check over every PL/pgSQL function in the toolkit's schemas."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    return conn.execute(f"""
        WITH fns AS (
            SELECT p.oid, p.prorettype = 'trigger'::regtype AS is_trigger
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            JOIN pg_language l ON l.oid = p.prolang
            WHERE n.nspname IN {TOOLKIT} AND l.lanname = 'plpgsql'
        ), targets AS (
            -- the guards' trigger functions go on the user's tables (recon.enable_guard); they
            -- are checked against a stand-in table
            SELECT f.oid, COALESCE(
                (SELECT t.tgrelid FROM pg_trigger t WHERE t.tgfoid = f.oid LIMIT 1),
                CASE WHEN f.oid::regproc::text LIKE '_recon.tg_guard%%'
                     THEN '_recon.guard_pending'::regclass
                     -- migration 0024's, which go on the ledgers' tables at registration
                     WHEN f.oid::regproc::text LIKE '_recon.tg_ledger%%'
                     THEN '_recon.ledger_write'::regclass END, 0) AS relid,
                f.is_trigger
            FROM fns f
        )
        SELECT t.oid::regprocedure::text, c.level, c.message, c.lineno
        FROM targets t
        CROSS JOIN LATERAL plpgsql_check_function_tb(t.oid, t.relid, fatal_errors => false,
                                                     extra_warnings => true) c
        WHERE c.level IN ('error', 'warning', 'warning extra')
        UNION ALL
        SELECT t.oid::regprocedure::text, 'error', 'trigger function attached to no trigger', 0
        FROM targets t WHERE t.is_trigger AND t.relid = 0
    """).fetchall()


def test_plpgsql_check_passes_on_every_function(conn: psycopg.Connection) -> None:
    assert conn.execute(f"""SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        JOIN pg_language l ON l.oid = p.prolang
        WHERE n.nspname IN {TOOLKIT} AND l.lanname = 'plpgsql'""").fetchone()[0] >= 1
    assert plpgsql_problems(conn) == []


def test_plpgsql_check_catches_a_broken_function(conn: psycopg.Connection) -> None:
    # The check above can fail: a function reading a column that does not exist.
    conn.execute("""CREATE FUNCTION _recon.broken() RETURNS int LANGUAGE plpgsql AS $$
        BEGIN RETURN (SELECT no_such_column FROM _recon.migrator_meta); END $$""")
    problems = plpgsql_problems(conn)
    assert [p[0] for p in problems] == ["_recon.broken()"]
    assert problems[0][1] == "error"


def test_every_sqlstate_raised_is_documented() -> None:
    raised = set()
    for d in ("functions", "triggers", "migrations"):
        for f in (ROOT / d).rglob("*.sql"):
            raised |= set(re.findall(r"'(RC\d{3})'", f.read_text()))
    documented = set(re.findall(r"^\| `(RC\d{3})` \|", (ROOT / "docs" / "SQLSTATES.md").read_text(),
                                re.M))
    assert raised and raised == documented
