"""Roles and privileges, pinned search paths, and look-alike objects that must never be used.

recon_auditor runs checks and reads; recon_operator also repairs; registering sources and checks
and enabling guards needs the toolkit's owner. Every SECURITY DEFINER function pins its
search_path with pg_temp last and refers only to pg_catalog and the toolkit's own objects: a
user who plants functions and tables under the same names in public and pg_temp gets none of
them called."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from test_fix import WRITER

TOOLKIT = ("recon", "_recon", "_recon_guard")

#: What each role may execute in recon; everything else there is the owner's.
AUDITOR = {"reconcile", "reconcile_run", "start_run", "describe_check", "version",
           "replica_target", "replica_wait", "replica_findings", "replica_increment_target",
           "replica_increment_keys", "replica_state"}
OPERATOR = AUDITOR | {"fix", "reverse_fix", "backfill", "acknowledge_alert", "record_replica_run",
                      "replica_fix", "replica_fix_read"}


@pytest.fixture
def seeded(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """Seed 000 registered, with its writer, drift for the repairs to repair, and guards so
    that their generated objects exist (a clone)."""
    return make_db(fixture_template("seed000.sql", "seed000_register.sql", sql=(
        WRITER,
        "UPDATE seed000.wallet_account SET balance = balance + 5 WHERE id = "
        "(SELECT min(wallet_id::text)::uuid FROM seed000.wallet_transaction)",
        "SELECT recon.enable_guard('drift', 's0_ledger', '{\"mode\": \"block\"}')",
        "SELECT recon.enable_guard('append_only', 's0_ledger', '{\"mode\": \"block\"}')")))


def as_user(dsn: str, user: str) -> str:
    params = conninfo_to_dict(dsn)
    params["user"] = user
    return make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})


@pytest.fixture
def login_roles(seeded: str) -> Iterator[dict[str, str]]:
    """Login roles: an auditor, an operator, and mallory (an operator who may create objects
    in public, and so plant look-alikes there)."""
    names = {"auditor": "recon_auditor", "operator": "recon_operator",
             "mallory": "recon_operator"}
    with psycopg.connect(seeded, autocommit=True) as c:
        for user, role in names.items():
            c.execute(f"DROP ROLE IF EXISTS sec_{user}")
            c.execute(f"CREATE ROLE sec_{user} LOGIN IN ROLE {role}")
        c.execute("GRANT CREATE, USAGE ON SCHEMA public TO sec_mallory")
        c.execute("GRANT USAGE ON SCHEMA seed000 TO sec_mallory")
    yield {user: as_user(seeded, f"sec_{user}") for user in names}
    with psycopg.connect(seeded, autocommit=True) as c:
        for user in names:
            c.execute(f"DROP OWNED BY sec_{user}")
            c.execute(f"DROP ROLE sec_{user}")


# -- pinned search paths ---------------------------------------------------------------------

def test_every_security_definer_function_pins_search_path_with_pg_temp_last(
        seeded: str) -> None:
    with psycopg.connect(seeded, autocommit=True) as c:
        rows = c.execute("""
            SELECT p.oid::regprocedure::text,
                   (SELECT split_part(s, '=', 2) FROM unnest(p.proconfig) AS s
                    WHERE s LIKE 'search\\_path=%')
            FROM pg_proc AS p
            WHERE p.prosecdef AND p.pronamespace::regnamespace::text IN TOOLKIT
        """.replace("TOOLKIT", str(TOOLKIT))).fetchall()
    assert len(rows) >= 8  # the API's definers, the guards' trigger functions, _recon_guard's
    bad = [(name, path) for name, path in rows
           if path is None or [s.strip() for s in path.split(",")][-1] != "pg_temp"
           or "public" in path or "$user" in path]
    assert bad == []


def test_security_definer_functions_refer_only_to_the_toolkit_and_the_catalog(
        seeded: str) -> None:
    """plpgsql_check's dependency list of every SECURITY DEFINER PL/pgSQL function: each
    relation and function it names resolves in recon, _recon, _recon_guard or pg_catalog."""
    with psycopg.connect(seeded, autocommit=True) as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
        rows = c.execute("""
            SELECT p.oid::regprocedure::text, d.type, d.schema, d.name
            FROM pg_proc AS p
            JOIN pg_language AS l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
            CROSS JOIN LATERAL plpgsql_show_dependency_tb(
                p.oid, CASE WHEN p.prorettype = 'trigger'::regtype THEN COALESCE(
                    (SELECT t.tgrelid FROM pg_trigger AS t WHERE t.tgfoid = p.oid LIMIT 1),
                    -- a trigger function no guard uses right now: a stand-in table
                    '_recon.guard_pending'::regclass) ELSE 0 END) AS d
            WHERE p.prosecdef AND p.pronamespace::regnamespace::text IN TOOLKIT
        """.replace("TOOLKIT", str(TOOLKIT))).fetchall()
    assert rows, "no dependency found at all: the check looked at nothing"
    assert {r[0] for r in rows} >= {"_recon_guard.drift_tick(integer)",
                                    "_recon_guard.drift_spill(integer,text)"}
    assert [r for r in rows if r[2] not in (*TOOLKIT, "pg_catalog")] == []


# -- privileges ------------------------------------------------------------------------------

def recon_functions(dsn: str) -> list[tuple[str, str, int]]:
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute("SELECT p.proname, p.oid::regprocedure::text, p.pronargs FROM pg_proc p "
                         "WHERE p.pronamespace = 'recon'::regnamespace ORDER BY 1").fetchall()


def test_grants_are_exactly_the_role_model(seeded: str) -> None:
    functions = recon_functions(seeded)
    assert {f[0] for f in functions} >= OPERATOR
    with psycopg.connect(seeded, autocommit=True) as c:
        for name, signature, _ in functions:
            for role, allowed in (("recon_auditor", AUDITOR), ("recon_operator", OPERATOR)):
                can = c.execute("SELECT has_function_privilege(%s, %s, 'EXECUTE')",
                                (role, signature)).fetchone()[0]
                assert can == (name in allowed), (role, signature)
        # PUBLIC may use one toolkit schema, and call its three functions: what a drift guard's
        # trigger functions (running as the writer) need the toolkit's rights for
        assert c.execute("""
            SELECT array_agg(f ORDER BY f)
            FROM pg_proc AS p, CAST(p.oid::regprocedure AS text) AS f
            WHERE p.pronamespace::regnamespace::text IN TOOLKIT
              AND has_function_privilege('public', p.oid, 'EXECUTE')""".replace(
            "TOOLKIT", str(TOOLKIT))
        ).fetchone()[0] == ["_recon_guard.drift_spill(integer,text)",
                            "_recon_guard.drift_tick(integer)",
                            "_recon_guard.drift_verdict(integer,text)"]
        assert c.execute("""
            SELECT array_agg(n.nspname::text ORDER BY n.nspname::text) FROM pg_namespace AS n
            WHERE n.nspname IN TOOLKIT AND has_schema_privilege('public', n.oid, 'USAGE')"""
            .replace("TOOLKIT", str(TOOLKIT))).fetchone()[0] == ["_recon_guard"]
        # no toolkit view or table for PUBLIC; nothing writable by the roles
        public = c.execute("""
            SELECT c.oid::regclass::text FROM pg_class AS c
            WHERE c.relnamespace::regnamespace::text IN ('recon', '_recon')
              AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
              AND (has_table_privilege('public', c.oid, 'SELECT')
                   OR has_table_privilege('recon_operator', c.oid,
                                          'INSERT, UPDATE, DELETE, TRUNCATE'))
        """).fetchall()
        assert public == []


def call_with_nulls(signature: str, nargs: int) -> str:
    name = signature.split("(")[0]
    return f"SELECT {name}({', '.join(['NULL'] * nargs)})" if nargs else f"SELECT {name}()"


def test_auditor_and_operator_get_42501_on_what_is_not_theirs(seeded: str,
                                                              login_roles: dict) -> None:
    functions = recon_functions(seeded)
    with psycopg.connect(seeded, autocommit=True) as c:
        before = c.execute("SELECT (SELECT count(*) FROM recon.sources), "
                           "(SELECT count(*) FROM recon.checks), "
                           "(SELECT count(*) FROM recon.guards), "
                           "(SELECT count(*) FROM recon.repairs)").fetchone()
        views = [r[0] for r in c.execute(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = "
            "'recon'::regnamespace AND c.relkind = 'v'").fetchall()]
        tables = [r[0] for r in c.execute(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = "
            "'_recon'::regnamespace AND c.relkind IN ('r', 'p')").fetchall()]
    refused = 0
    for user, allowed in (("auditor", AUDITOR), ("operator", OPERATOR)):
        with psycopg.connect(login_roles[user], autocommit=True) as c:
            for name, signature, nargs in functions:
                if name in allowed:
                    continue
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    c.execute(call_with_nulls(signature, nargs))
                refused += 1
            for view in views:
                c.execute(f"SELECT * FROM {view}").fetchall()  # readable, every column
                for write in (f"DELETE FROM {view}", f"INSERT INTO {view} DEFAULT VALUES"):
                    # 55000: a view no one can write to (a UNION) says so before privileges;
                    # 428C9: an identity column refuses before privileges too
                    with pytest.raises((psycopg.errors.InsufficientPrivilege,
                                        psycopg.errors.ObjectNotInPrerequisiteState,
                                        psycopg.errors.GeneratedAlways)):
                        c.execute(write)
                    refused += 1
            for table in tables:
                for statement in (f"SELECT count(*) FROM {table}", f"DELETE FROM {table}",
                                  f"TRUNCATE {table}"):
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        c.execute(statement)
                    refused += 1
            # the user's own tables: the toolkit grants nothing on them
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("UPDATE seed000.wallet_account SET balance = 0")
    # what each may do, it can
    with psycopg.connect(login_roles["auditor"], autocommit=True) as c:
        run = c.execute("SELECT recon.reconcile()").fetchone()[0]
        assert run["findings"] == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("SELECT * FROM recon.fix()")
    with psycopg.connect(login_roles["operator"], autocommit=True) as c:
        steps = c.execute("SELECT status FROM recon.fix(dry_run => false, ticket => 'SEC-1', "
                          "reason => 'privileges test')").fetchall()
        assert steps == [("applied",)]
    with psycopg.connect(seeded, autocommit=True) as c:
        after = c.execute("SELECT (SELECT count(*) FROM recon.sources), "
                          "(SELECT count(*) FROM recon.checks), "
                          "(SELECT count(*) FROM recon.guards), "
                          "(SELECT count(*) FROM recon.repairs)").fetchone()
        assert after[:3] == before[:3] and after[3] == before[3] + 1
        assert c.execute("SELECT applied_by FROM recon.repairs").fetchall() == [("sec_operator",)]
    print(f"\nprivileges: {refused} statements refused with 42501")
    assert refused > 100


# -- look-alikes -----------------------------------------------------------------------------

PLANT = r"""
CREATE TABLE public.hijack_log (what text, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT, SELECT ON public.hijack_log TO PUBLIC;
DO $plant$
DECLARE
    f record;
BEGIN
    -- a function of the same name and arguments in public for every toolkit function...
    FOR f IN SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args,
                    pg_get_function_result(p.oid) AS result
             FROM pg_proc AS p
             WHERE p.pronamespace::regnamespace::text IN ('recon', '_recon')
               AND p.prokind = 'f' AND pg_get_function_result(p.oid) <> 'trigger'
               -- (a signature with the toolkit's private types cannot be copied by a user)
               AND pg_get_function_identity_arguments(p.oid) NOT LIKE '%\_recon.%'
               AND pg_get_function_result(p.oid) NOT LIKE '%\_recon.%' LOOP
        EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                       f.proname, f.args, f.result,
                       format('BEGIN INSERT INTO public.hijack_log VALUES (%L); '
                              'RAISE EXCEPTION ''hijacked: %s''; END', f.proname, f.proname));
    END LOOP;
    -- ... and for catalog functions the toolkit calls, which a caller's path could put first
    FOR f IN SELECT * FROM (VALUES ('now', '', 'timestamptz'), ('clock_timestamp', '', 'timestamptz'),
                                   ('abs', 'numeric', 'numeric'), ('lower', 'text', 'text'),
                                   ('quote_ident', 'text', 'text'),
                                   ('quote_literal', 'text', 'text'), ('md5', 'text', 'text'),
                                   ('current_setting', 'text, boolean', 'text'),
                                   ('set_config', 'text, text, boolean', 'text'),
                                   ('jsonb_typeof', 'jsonb', 'text'),
                                   ('pg_current_xact_id', '', 'xid8'),
                                   ('pg_advisory_xact_lock', 'bigint', 'void'),
                                   ('hashtextextended', 'text, bigint', 'bigint'))
                      AS v (proname, args, result) LOOP
        EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                       f.proname, f.args, f.result,
                       format('BEGIN INSERT INTO public.hijack_log VALUES (%L); '
                              'RAISE EXCEPTION ''hijacked: %s''; END', f.proname, f.proname));
    END LOOP;
    -- temporary tables named like every toolkit table and view, and like the user's tables
    FOR f IN SELECT c.relname FROM pg_class AS c
             WHERE (c.relnamespace::regnamespace::text IN ('recon', '_recon', 'seed000'))
               AND c.relkind IN ('r', 'v', 'p') LOOP
        EXECUTE format('CREATE TEMP TABLE %I (x int)', f.relname);
        EXECUTE format('CREATE FUNCTION pg_temp.%I() RETURNS trigger LANGUAGE plpgsql AS '
                       '$t$BEGIN INSERT INTO public.hijack_log VALUES (TG_TABLE_NAME); '
                       'RAISE EXCEPTION ''hijacked''; END$t$', 'tg_' || f.relname);
        EXECUTE format('CREATE TRIGGER hijack BEFORE INSERT OR UPDATE OR DELETE ON pg_temp.%I '
                       'FOR EACH ROW EXECUTE FUNCTION pg_temp.%I()', f.relname, 'tg_' || f.relname);
    END LOOP;
END;
$plant$;
"""


def test_planted_look_alikes_are_never_called(seeded: str, login_roles: dict) -> None:
    mallory = login_roles["mallory"]
    with psycopg.connect(mallory, autocommit=True) as c:
        c.execute(PLANT)
        planted = c.execute("SELECT count(*) FROM pg_proc WHERE pronamespace = "
                            "'public'::regnamespace").fetchone()[0]
        temp = c.execute("SELECT count(*) FROM pg_class WHERE relnamespace = "
                         "pg_my_temp_schema() AND relkind = 'r'").fetchone()[0]
        assert planted >= 80 and temp >= 20
        # the worst path a caller can choose: their objects first
        for path in ("pg_temp, public, pg_catalog", "public, pg_catalog, pg_temp"):
            c.execute(f"SET search_path = {path}")
            run = c.execute("SELECT recon.reconcile()").fetchone()[0]
            assert run["findings"] == 1, run
            assert c.execute("SELECT recon.version()").fetchone()[0]
            assert c.execute("SELECT recon.describe_check('s0_balance') ->> 'kind'"
                             ).fetchone()[0] == "balance"
            plan = c.execute("SELECT strategy, status FROM recon.fix(dry_run => true)").fetchall()
            assert plan == [("resync", "planned")]
            assert c.execute("SELECT count(*) FROM recon.open_findings").fetchone()[0] == 1
            assert c.execute("SELECT count(*) FROM recon.run_findings").fetchone()[0] >= 1
        applied = c.execute("SELECT status FROM recon.fix(dry_run => false, ticket => 'SEC-2', "
                            "reason => 'look-alikes')").fetchall()
        assert applied == [("applied",)]  # through the blocking drift guard, audited
        assert c.execute("SELECT recon.reconcile() ->> 'status'").fetchone()[0] == "synced"
        c.execute("RESET search_path")
        assert c.execute("SELECT count(*) FROM public.hijack_log").fetchone()[0] == 0


# -- custom checks ---------------------------------------------------------------------------

def custom(dsn: str, name: str, query: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT recon.register_check(%s, 'custom', jsonb_build_object('query', %s::text))",
                  (name, query))


def test_a_custom_check_cannot_run_another_roles_code_as_the_owner(
        seeded: str, login_roles: dict) -> None:
    """A check's view runs inside recon.reconcile() with the owner's rights: code that another
    role owns (and could replace) is refused at registration; the owner's own code and other
    roles' plain tables are fine."""
    with psycopg.connect(login_roles["mallory"], autocommit=True) as c:
        c.execute("CREATE FUNCTION public.diff(numeric) RETURNS numeric LANGUAGE sql "
                  "AS 'SELECT $1'")
        c.execute("CREATE TABLE public.mallory_rows (k text, v numeric)")
        c.execute("INSERT INTO public.mallory_rows VALUES ('w1', 1)")
        c.execute("GRANT SELECT ON public.mallory_rows TO PUBLIC")
        c.execute("CREATE VIEW public.mallory_view AS SELECT k, v FROM public.mallory_rows")
        c.execute("GRANT SELECT ON public.mallory_view TO PUBLIC")
        c.execute("CREATE FUNCTION public.same(numeric, numeric) RETURNS boolean LANGUAGE sql "
                  "AS 'SELECT $1 = $2'")
        c.execute("CREATE OPERATOR public.== (FUNCTION = public.same, LEFTARG = numeric, "
                  "RIGHTARG = numeric)")
    shape = "select k as wallet_key, v as stored, 0 as expected, v as difference, " \
            "'{}'::jsonb as details from "
    refused = {
        "c_fn": shape.replace("v as difference", "public.diff(v) as difference")
        + "public.mallory_rows",
        "c_view": shape + "public.mallory_view",
        "c_op": shape + "public.mallory_rows where v operator(public.==) 1",
    }
    with psycopg.connect(seeded, autocommit=True) as c:
        before = c.execute("SELECT count(*) FROM recon.checks").fetchone()[0]
    for name, query in refused.items():
        with pytest.raises(psycopg.Error) as err:
            custom(seeded, name, query)
        assert err.value.sqlstate == "RC110", (name, err.value)
        assert "another role owns" in str(err.value) and "sec_mallory" in str(err.value)
    with psycopg.connect(seeded, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM recon.checks").fetchone()[0] == before
        assert c.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'check_c\\_%'"
                         ).fetchone()[0] == 0
        c.execute("CREATE FUNCTION public.own_diff(numeric) RETURNS numeric LANGUAGE sql "
                  "AS 'SELECT $1'")
    custom(seeded, "c_table", shape + "public.mallory_rows")  # a plain table: no code runs
    custom(seeded, "c_own", shape.replace("v as difference", "public.own_diff(v) as difference")
           + "public.mallory_rows")
    # and neither operator nor auditor may register anything
    for user in ("operator", "auditor"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            custom(login_roles[user], "c_" + user, shape + "public.mallory_rows")
    with psycopg.connect(seeded, autocommit=True) as c:  # mallory's role goes after the test
        c.execute("SELECT recon.drop_check('c_table'), recon.drop_check('c_own')")


def test_a_fix_in_the_transaction_opens_no_way_past_a_blocking_guard(seeded: str,
                                                                     login_roles: dict) -> None:
    """Found by the bank test: any applied fix (even one with nothing to do) used to make the
    rest of its transaction pass the guards, its id being easy to guess. Only the fix's own
    writes pass now."""
    with psycopg.connect(seeded, autocommit=True) as c:
        c.execute("GRANT USAGE ON SCHEMA seed000 TO sec_operator")
        c.execute("GRANT SELECT, UPDATE ON seed000.wallet_account TO sec_operator")
        wallet = c.execute("SELECT min(wallet_id::text) FROM seed000.wallet_transaction"
                           ).fetchone()[0]
        c.execute("SELECT recon.reconcile()")
    with psycopg.connect(login_roles["operator"]) as c:
        steps = c.execute("SELECT status FROM recon.fix(dry_run => false, ticket => 'X-1', "
                          "reason => 'repairs the 5.00')").fetchall()
        assert steps == [("applied",)]
        fix_id = c.execute("SELECT max(fix_id) FROM recon.repairs").fetchone()[0]
        c.execute("SELECT set_config('wallet_recon.fix_id', %s, true)", (str(fix_id),))
        c.execute("UPDATE seed000.wallet_account SET balance = balance + 500 WHERE id = %s",
                  (wallet,))
        with pytest.raises(psycopg.Error) as err:
            c.commit()
        assert err.value.sqlstate == "RC401"
    with psycopg.connect(seeded, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM recon.repairs").fetchone()[0] == 0  # all undone
        assert c.execute("SELECT recon.reconcile() ->> 'findings'").fetchone()[0] == "1"
