"""Bad input everywhere (issue 7, item 3): every public function and procedure, found in
pg_proc at test time (so a new one is covered without a change here), called from a plain
connection with hostile values: NULL, NaN, +-Infinity, zero, negative and huge numbers (1e30,
1e1000), too many decimal places, empty, 10 KB and odd strings (quotes, semicolons, unicode,
control characters), unknown names and ids, empty and odd arrays (NULL elements, 2-D, other
bounds), odd JSON (null, [], scalars, 200 levels deep, unknown keys). Mostly they replace one
argument (or one key of the JSON options) of a valid call, so that they reach deep; the setup
is realistic: seed 000 with drift (one wallet's of 2.7e12, beyond its numeric(14,2) columns),
two runs, an applied fix, alerts and an append-only guard, and seed 003 beside it (a coverage
check and a double-entry writer, for recon.backfill).

A function runs in a transaction of its own, rolled back afterwards, so that every call starts
from the same state; a procedure (it commits) in autocommit on a copy. A call either
- fails with a SQLSTATE that docs/SQLSTATES.md lists (a wallet-recon code with a DETAIL and a
  HINT, or one of the standard codes it names), and then every user and toolkit table is as it
  was (a checksum of each); or
- succeeds, and then: its deferred triggers pass (SET CONSTRAINTS ALL IMMEDIATE, as at commit),
  the scratch tables are empty, a call that promises to write nothing (a dry run, a STABLE
  function) wrote nothing, recon.reconcile() and a recon.fix() dry run still run, applying a fix
  succeeds or refuses with a documented code, and every repeatable object of the toolkit is as
  installed (the migrator's status, read in the same transaction).

Calls that once failed wrongly are kept as explicit examples (REGRESSIONS). Counts per function
are printed at the end (pytest -s); BAD_INPUT_EXAMPLES sets the examples per function."""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from migrator import repeatable
from migrator.core import Migrator

from conftest import ROOT, Server, _new_name, load_fixture, reconcile

# -- what the documentation allows ------------------------------------------------------------


def documented_sqlstates() -> set[str]:
    """Every SQLSTATE docs/SQLSTATES.md names: its table and the standard codes under it."""
    text = (ROOT / "docs" / "SQLSTATES.md").read_text()
    text = text.split("## Exit codes")[0]
    return set(re.findall(r"`([0-9A-Z]{5})`", text))


DOCUMENTED = documented_sqlstates()

# The scratch tables the documentation says are emptied at the end of each call (their
# COMMENTs in migrations/): checked empty after every call, and part of the checksum anyway.
SCRATCH = ("_recon.run_stage", "_recon.fix_stage", "_recon.guard_pending")

EXAMPLES_PER_FUNCTION = int(os.environ.get("BAD_INPUT_EXAMPLES", "40"))


@dataclass(frozen=True)
class OpenBug:
    """A wrong failure in a file another engineer is rewriting (the guards): reported, not
    fixed here. Exactly this outcome (function, SQLSTATE, arguments) is let through; anything
    else the same call does is still checked."""
    function: str
    sqlstate: str
    applies: Callable[[dict[str, object]], bool]
    what: str


OPEN_BUGS = [
    OpenBug("enable_guard", "23502", lambda v: v.get("target") is None,
            "recon.enable_guard(<kind>, NULL) inserts a NULL target into _recon.guard: "
            "not-null violation instead of RC107/RC406 (reported to the lead; "
            "functions/guard/enable_guard.sql is being rewritten)"),
]


# -- the setup ---------------------------------------------------------------------------------

S0_WRITER = ("SELECT recon.register_writer('s0_ledger', '{\"columns\": {\"id\": \"{uuid}\","
             " \"type\": \"ADJUSTMENT\", \"description\": \"{description}\"}}')")
S0_DRIFT = (
    # a payment completed and credited with no ledger entry (wallet 3, 77.00)
    "INSERT INTO seed000.payment_intent VALUES"
    " ('pi_missing', md5('wallet3')::uuid, 77.00, 'COMPLETED', 'wallet-3')",
    "UPDATE seed000.wallet_account SET balance = balance + 77 WHERE id = md5('wallet3')::uuid",
    # a top-up posted twice, the balance credited once (wallet 5)
    """INSERT INTO seed000.wallet_transaction
           (id, wallet_id, type, amount, balance_after, reference, posted_at)
       SELECT md5('dup')::uuid, t.wallet_id, 'CREDIT', t.amount, w.balance + t.amount,
              t.reference, timestamptz '2026-01-06 00:00:00+00'
       FROM seed000.wallet_transaction t JOIN seed000.wallet_account w ON w.id = t.wallet_id
       WHERE t.reference = 'pi_5_1'""",
    # a balance moved with no entry (wallet 6)
    "UPDATE seed000.wallet_account SET balance = balance - 5 WHERE id = md5('wallet6')::uuid",
)
S0_MORE_DRIFT = (
    "UPDATE seed000.wallet_account SET balance = balance + 12.34 WHERE id = md5('wallet7')::uuid",
    "UPDATE seed000.wallet_account SET balance = balance - 0.01 WHERE id = md5('wallet8')::uuid",
)
S0_HUGE_DRIFT = (
    # ledger entries of 2.7e12 in all, never credited: a repair of that size does not fit the
    # numeric(14,2) balance and amount columns (only a limit of 1e30 or so lets it through)
    """INSERT INTO seed000.wallet_transaction
           (id, wallet_id, type, amount, balance_after, reference, posted_at)
       SELECT md5('huge' || i)::uuid, md5('wallet55')::uuid, 'CREDIT', 900000000000.00,
              900000000000.00, 'huge_' || i, timestamptz '2026-01-07 00:00:00+00'
       FROM generate_series(1, 3) AS i""",
)
S3_DRIFT = (
    # users without a wallet (coverage, treasury) and a wallet without entries (balance)
    "INSERT INTO seed003.users (id, username, email, total_coins)"
    " VALUES ('late-1', 'late1', 'late1@example.com', 250),"
    " ('late-2', 'late2', 'late2@example.com', 0)",
    "UPDATE seed003.user_wallet SET balance = balance + 40"
    " WHERE user_id = (SELECT min(id) FROM seed003.users WHERE id <> 'system')",
)


def build_world(dsn: str) -> None:
    load_fixture(dsn, "seed000.sql", "seed000_register.sql", "seed003.sql",
                 "seed003_register.sql", "seed003_writer.sql")
    with psycopg.connect(dsn, autocommit=True) as c:
        for stmt in (S0_WRITER, *S0_DRIFT, *S0_HUGE_DRIFT, *S3_DRIFT):
            c.execute(stmt)
    first = reconcile(dsn)  # run 1: several wallets, HIGH, so an alert too
    assert first["status"] == "discrepancy", first
    with psycopg.connect(dsn, autocommit=True) as c:
        applied = c.execute(
            "SELECT count(*) FROM recon.fix(dry_run => false, ticket => 'INC-7',"
            " reason => 'bad input setup', checks => ARRAY['s0_balance', 's0_duplicates',"
            " 's0_orphans'], wallet_limit => 1000)").fetchone()[0]
        assert applied > 0
        for stmt in S0_MORE_DRIFT:
            c.execute(stmt)
        c.execute("SELECT recon.enable_guard('append_only', 's0_ledger', '{\"mode\": \"block\"}')")
        c.execute("SELECT recon.set_fix_policy('s0_balance', '{\"strategy\": \"resync\","
                  " \"wallet_limit\": 100}')")
        # a source nothing uses, for recon.drop_source to drop
        c.execute("SELECT recon.register_wallet_source('spare_wallets',"
                  " 'seed000.wallet_account', 'id', ARRAY['balance'])")
    second = reconcile(dsn)  # run 2: findings left open for recon.fix() to plan
    assert second["findings"] > 0, second


# Options the database does not keep as JSON, beside those it does (checks, writers, guards,
# fix policies): bases to mutate, and values of the valid calls below.
WALLET_OPTIONS = {"currency": "currency", "owner": "member_id"}
S0_LEDGER_OPTIONS = {"entry_id": "id", "reference": "reference", "posted_at": "posted_at",
                     "order_by": "seq", "balance_after": "balance_after"}
S3_LEDGER_OPTIONS = {"direction": "direction", "credit": "credit", "debit": "debit",
                     "journal": "transaction_id", "entry_id": "id", "order_by": "id"}
CUSTOM_QUERY = ("SELECT id::text AS wallet_key, balance AS stored, balance AS expected,"
                " 0::numeric AS difference, '{}'::jsonb AS details FROM seed000.wallet_account")
MORE_OPTIONS = [
    WALLET_OPTIONS, S0_LEDGER_OPTIONS, S3_LEDGER_OPTIONS,
    {"operation": "type", "effects": {"CREDIT": {"balance": 1}, "DEBIT": {"balance": -1}}},
    {"status": "active"},  # backfill's wallet_columns
    {"mode": "block", "tolerance": 0.01},
    {"strategy": "adjust", "wallet_limit": 100, "run_limit": 1000},
    {"query": CUSTOM_QUERY},
]


# -- what the database holds, for valid values -------------------------------------------------


@dataclass
class Arg:
    name: str
    type: str  # format_type, e.g. "text[]"
    default: str | None  # the default expression, if any


@dataclass
class Function:
    name: str
    signature: str
    args: list[Arg]
    volatile: bool
    procedure: bool  # CALLed; it may commit, so it runs outside a transaction block


@dataclass
class Pools:
    """Valid names and ids of the setup, read from the database."""
    checks: list[str]
    wallet_sources: list[str]
    ledgers: list[str]
    tables: list[str]
    columns: list[str]
    wallets: list[str]
    ids: dict[str, list[int]]
    options: list[dict]
    option_keys: list[str]


@dataclass
class World:
    conn: psycopg.Connection  # calls run here, each in a transaction rolled back after it
    proc: psycopg.Connection  # procedures run here, in autocommit, on a copy of the database
    functions: list[Function]
    pools: Pools
    checksum_sql: sql.Composed
    files: list
    baseline: dict[str, str] = field(default_factory=dict)
    proc_baseline: dict[str, str] = field(default_factory=dict)
    stats: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    codes: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))


def public_functions(conn: psycopg.Connection) -> list[Function]:
    rows = conn.execute("""
        SELECT p.proname, p.oid::regprocedure::text, p.provolatile = 'v', p.prokind = 'p',
               COALESCE(p.proargnames, '{}'), COALESCE(p.proargmodes, '{}'),
               ARRAY(SELECT format_type(t, NULL)
                     FROM unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[])) AS t),
               p.pronargs, p.pronargdefaults,
               pg_get_expr(p.proargdefaults, 0)
        FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
        WHERE n.nspname = 'recon' AND p.prokind IN ('f', 'p')
        ORDER BY p.proname, p.oid""").fetchall()
    out = []
    for (name, signature, volatile, procedure, names, modes, types, nargs, ndefaults,
         defaults) in rows:
        ins = [(n if i < len(names) else "", t) for i, (n, t) in enumerate(zip(
            names or [""] * len(types), types, strict=False))
            if not modes or modes[i] in ("i", "b")]
        exprs = split_defaults(defaults) if defaults else []
        assert len(ins) == nargs and len(exprs) == ndefaults, (name, ins, exprs)
        args = [Arg(n, t, exprs[i - (nargs - ndefaults)] if i >= nargs - ndefaults else None)
                for i, (n, t) in enumerate(ins)]
        out.append(Function(name, signature, args, volatile, procedure))
    return out


def split_defaults(text: str) -> list[str]:
    """pg_get_expr of proargdefaults is a comma-separated list of expressions."""
    parts, depth, quote, cur = [], 0, False, ""
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch in "([":
            depth += 1
        elif not quote and ch in ")]":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def read_pools(conn: psycopg.Connection) -> Pools:
    def col(q: str) -> list:
        return [r[0] for r in conn.execute(q).fetchall()]

    options = col("SELECT options FROM _recon.check_def UNION ALL SELECT options"
                  " FROM _recon.writer UNION ALL SELECT options FROM _recon.guard"
                  " UNION ALL SELECT options FROM _recon.fix_policy") + MORE_OPTIONS
    keys = sorted({k for o in options for k in o} | {
        "wallet", "column", "table", "key_column", "value_column", "owner_table", "owner_key",
        "owner_balance", "hold", "terminal", "pending", "max_pending", "stored", "expected",
        "scope", "columns", "function", "offset_wallet", "reference", "description",
        "journal", "entry_types", "from_column"})
    return Pools(
        checks=col("SELECT name FROM _recon.check_def ORDER BY 1"),
        wallet_sources=col("SELECT name FROM _recon.wallet_source ORDER BY 1"),
        ledgers=col("SELECT name FROM _recon.ledger_source ORDER BY 1"),
        tables=col("SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n"
                   " ON n.oid = c.relnamespace WHERE n.nspname IN ('seed000', 'seed003')"
                   " AND c.relkind = 'r' ORDER BY 1"),
        columns=col("SELECT DISTINCT a.attname::text FROM pg_attribute a JOIN pg_class c"
                    " ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname IN ('seed000', 'seed003') AND c.relkind = 'r'"
                    " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1"),
        wallets=col("SELECT DISTINCT wallet_key FROM _recon.finding"
                    " WHERE wallet_key IS NOT NULL ORDER BY 1"),
        ids={
            "run": col("SELECT id FROM _recon.run ORDER BY 1"),
            "fix": col("SELECT id FROM _recon.fix ORDER BY 1"),
            "alert": col("SELECT id FROM _recon.alert ORDER BY 1"),
            "other": col("SELECT id FROM _recon.repair UNION SELECT id FROM _recon.finding"),
        },
        options=options,
        option_keys=keys,
    )


def user_and_toolkit_tables(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("""
        SELECT format('%I.%I', n.nspname, c.relname)
        FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%'
          AND n.nspname <> 'information_schema'
          -- a balance check's state table is made by each full run and dropped with the check
          -- (migration 0032): not a table to compare across calls by name
          AND NOT (n.nspname = '_recon' AND c.relname ~ '^bs_[0-9a-f]{32}_[0-9]+$')
        ORDER BY 1""").fetchall()]


def checksum_query(tables: list[str]) -> sql.Composed:
    parts = [sql.SQL("SELECT {name}::text, md5(COALESCE(string_agg(x::text, ',' ORDER BY"
                     " x::text), '')) FROM {table} AS x").format(
        name=sql.Literal(t), table=sql.SQL(t)) for t in tables]
    return sql.SQL(" UNION ALL ").join(parts)


def checksum(w: World, conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute(w.checksum_sql).fetchall())


def changed(before: dict[str, str], now: dict[str, str]) -> list[str]:
    return sorted(t for t in before if before[t] != now.get(t))


def objects_not_current(w: World, conn: psycopg.Connection) -> list[str]:
    """The migrator's status of the repeatable layer, read inside the open transaction."""
    with conn.cursor() as cur:
        recs, live = repeatable.recorded(cur), repeatable.catalog(cur)
        return [f"{f.path}: {s}" for f in w.files
                if (s := repeatable.state(f, recs.get(f.path), live)) != repeatable.CURRENT]


@pytest.fixture(scope="module")
def world(server: Server, template_db: str) -> Iterator[World]:
    name = _new_name("recon_bad_input")
    janitor = server.janitor(name, template_db)
    janitor.init()
    dsn = server.dsn_for(name)
    copy = None
    try:
        build_world(dsn)
        copy = server.janitor(_new_name("recon_bad_input"), name)
        copy.init()
        migrator = Migrator(dsn, echo=lambda *_: None)
        assert migrator.status().current
        options = "-c statement_timeout=60s"
        with psycopg.connect(dsn, options=options) as conn, psycopg.connect(
                server.dsn_for(copy.dbname), options=options, autocommit=True) as proc:
            tables = user_and_toolkit_tables(conn)
            assert {"seed000.wallet_account", "_recon.finding", *SCRATCH} <= set(tables)
            w = World(conn, proc, public_functions(conn), read_pools(conn),
                      checksum_query(tables), migrator.files)
            w.baseline = checksum(w, conn)
            w.proc_baseline = checksum(w, proc)
            assert w.proc_baseline == w.baseline
            conn.rollback()
            yield w
            print_counts(w)
        assert migrator.status().current
    finally:
        if copy is not None:
            copy.drop()
        janitor.drop()


# -- values --------------------------------------------------------------------------------------


class Omit:
    """Leave the argument out: its default applies."""

    def __repr__(self) -> str:
        return "<omitted>"


OMIT = Omit()


@dataclass(frozen=True)
class Expr:
    """An SQL expression written into the call as it is (the catalog's default)."""
    text: str


class RawJson(str):
    """A JSON number written as it is (1e1000 is not a Python float)."""


def to_json(v: object) -> str:
    if isinstance(v, RawJson):
        return str(v)
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(to_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {to_json(x)}" for k, x in v.items()) + "}"
    if isinstance(v, float):  # a number of the options read from the database
        return repr(v)
    raise TypeError(v)


def array_literal(items: list) -> str:
    def one(x: object) -> str:
        if x is None:
            return "NULL"
        if isinstance(x, list):
            return array_literal(x)
        s = str(x).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{s}"'
    return "{" + ",".join(one(x) for x in items) + "}"


TEN_KB = "x" * 10240
HOSTILE_TEXT = [
    "", " ", "  \t\n", TEN_KB, "é" * 5120, "'" * 10240, "'", "''", '"', '"x"', "\\", "\\\\'",
    "x'; DROP TABLE seed000.wallet_account; --", "x\"; DROP TABLE seed000.wallet_account; --",
    "; SELECT pg_sleep(5)", "$1", "$$", "$body$", "%s %I %L %%", "{", "}", "{uuid", "{nope}",
    "{uuid}{uuid}", "{}", "[]", "null", "NULL", "NaN", "Infinity", "-1", "0", "1e1000",
    "a.b.c.d", "seed000.", ".", "..", "pg_catalog.pg_class", "information_schema.tables",
    "_recon.check_def", "recon.checks", "\u202etxet", "\u200b", "𝄞𝄞", "日本語", "Ω≈ç√",
    "\x01\x02\x7f", "\x1b[31mred", "a\rb", "\t", "\x0b\x0c", "S0_BALANCE", "s0_balance ",
    " s0_balance", "s0_balance;", "s0-balance", "1abc", "_x", "a" * 40, "a" * 41, "a" * 63,
    "a" * 64, "a" * 200, "select", "user", "check", "ALL", "*", "%", "_", ".*", "(?:", "\\d",
    "0 0 31 2 *", "* * * * * *", "60 25 * * *", "@reboot", "2026-13-45", "infinity",
]
VALID_TEXT = {
    "kind": ["balance", "derived", "total", "coverage", "duplicate", "orphan", "chain",
             "journal", "lifecycle", "custom", "drift", "append_only", "double_entry"],
    "mode": ["full", "incremental", "warn", "block"],
    "strategy": ["adjust", "resync", "post_missing", "reverse", "move", "acknowledge", "none"],
    "schedule": ["0 3 * * *", "*/5 * * * *"],
    "job": ["wallet-recon reconcile", "nightly"],
    "ticket": ["INC-7", "T-1"],
    "reason": ["runbook repair", "bad input"],
    "note": ["INC-42: repaired"],
    "wallet_key": ["{uuid}", "w-{owner}", "{owner}", "{now}"],
    "new": ["bad_input_new", "z" + "9" * 39, "x1", "select", "check_s0_balance"],
}
NUMERIC_TEXT = [
    "NaN", "Infinity", "-Infinity", "0", "-0", "-1", "-0.01", "0.001", "0.005", "0.0000001",
    "1e30", "-1e30", "1e1000", "-1e1000", "1e-1000", "99999999999999.99", "100000000000000",
    "123456789012.3456789", "12.345678901234567890123", "10", "1000", "5.00",
]
JSON_NUMBERS = ["0", "-0", "-1", "0.001", "1e30", "1e1000", "-1e1000", "1e-1000", "2.5",
                "10.5", "99999999999999999999", "2147483648", "-2147483649", "1", "2", "100"]
BIG = 2**63 - 1
# option keys that hold numbers (thresholds, limits, tolerances)
NUMBER_KEYS = ["tolerance", "low_limit", "high_wallets", "critical_wallets", "pattern_wallets",
               "wallet_limit", "run_limit", "max_pending"]


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, by weight (st.one_of draws its distinct branches evenly, and
    drops repeated ones)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


def text_values(pools: Pools, arg: str) -> st.SearchStrategy:
    """Strings for an argument: valid names of the setup (preferring those its name hints at),
    hostile ones, and random ones (no NUL: PostgreSQL text cannot hold it)."""
    hinted = []
    for hint, values in VALID_TEXT.items():
        if hint in arg:
            hinted += values
    if any(h in arg for h in ("check", "name", "target")):
        hinted += pools.checks
    if any(h in arg for h in ("source", "ledger", "target", "name")):
        hinted += pools.wallet_sources + pools.ledgers
    if "table" in arg:
        hinted += pools.tables
    if "column" in arg:
        hinted += pools.columns
    everything = sorted({*pools.checks, *pools.wallet_sources, *pools.ledgers, *pools.tables,
                         *pools.columns, *(v for vs in VALID_TEXT.values() for v in vs)})
    random = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                     max_size=30)
    return weighted((4 if hinted else 0, st.sampled_from(sorted(set(hinted)) or [""])),
                    (3, st.sampled_from(HOSTILE_TEXT)), (1, st.sampled_from(everything)),
                    (1, random))


def json_values(pools: Pools) -> st.SearchStrategy:
    names = sorted({*pools.checks, *pools.wallet_sources, *pools.ledgers, *pools.tables,
                    *pools.columns, *pools.wallets[:5]})
    scalars = st.one_of(
        st.none(), st.booleans(), st.sampled_from(JSON_NUMBERS).map(RawJson),
        st.integers(-(2**40), 2**40), st.sampled_from(names), st.sampled_from(HOSTILE_TEXT),
        st.sampled_from([v for vs in VALID_TEXT.values() for v in vs]),
    )
    keys = st.one_of(st.sampled_from(pools.option_keys),
                     st.sampled_from(["", " ", "x", "LEDGER", "ledger ", "scop", "é", TEN_KB]))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=12)


def deep(n: int, obj: bool) -> str:
    return ('{"a": ' * n + "1" + "}" * n) if obj else ("[" * n + "1" + "]" * n)


ODD_JSON = ["null", "[]", "{}", '""', '"x"', "0", "-1", "1e1000", "true", "[null]", "[{}]",
            '{"": null}', deep(200, False), deep(200, True),
            "{" + ", ".join(f'"k{i}": {i}' for i in range(1000)) + "}",
            '{"ledger": null}', '{"ledger": {"ledger": "s0_ledger"}}', '{"ledger": ["s0_ledger"]}']


def jsonb_values(pools: Pools) -> st.SearchStrategy:
    value = json_values(pools)
    bases = st.sampled_from(pools.options)

    def mutate(base: dict) -> st.SearchStrategy:
        keys = sorted(set(base) | set(pools.option_keys))
        return st.lists(st.tuples(st.sampled_from(keys), st.one_of(st.just(OMIT), value)),
                        min_size=1, max_size=3).map(
            lambda edits: to_json(_edit(base, edits)))
    return weighted((1, st.sampled_from(ODD_JSON)), (1, value.map(to_json)),
                    (1, bases.map(to_json)), (2, bases.flatmap(mutate)))


def _edit(base: dict, edits: list[tuple[str, object]]) -> dict:
    out = dict(base)
    for k, v in edits:
        if v is OMIT:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def id_values(pools: Pools, arg: str, lo: int, hi: int) -> st.SearchStrategy:
    valid = [i for kind, ids in pools.ids.items() if kind in arg or kind == "other"
             for i in ids] + [i for ids in pools.ids.values() for i in ids]
    return st.one_of(st.sampled_from(sorted(set(valid))),
                     st.sampled_from([0, -1, 1, 2, 999999, hi, lo]),
                     st.integers(lo, hi))


def array_values(items: st.SearchStrategy) -> st.SearchStrategy:
    flat = st.lists(st.one_of(st.none(), items), max_size=5)
    return st.one_of(
        flat.map(array_literal),
        st.sampled_from(["{}", "{NULL}", "{NULL,NULL}"]),
        st.lists(items, min_size=1, max_size=3).map(lambda xs: array_literal([xs, xs])),  # 2-D
        flat.filter(bool).map(lambda xs: f"[0:{len(xs) - 1}]=" + array_literal(xs)),
    )


INT_RANGES = {"smallint": (-(2**15), 2**15 - 1), "integer": (-(2**31), 2**31 - 1),
              "bigint": (-(2**63), BIG)}


def values_for(pools: Pools, arg: Arg) -> st.SearchStrategy:
    base = arg.type.removesuffix("[]")
    if base == "text":
        one = text_values(pools, arg.name)
        if arg.name in ("wallets",):
            one = st.one_of(st.sampled_from(pools.wallets), one)
    elif base in INT_RANGES:
        one = id_values(pools, arg.name, *INT_RANGES[base])
    elif base == "numeric":
        one = st.one_of(st.sampled_from(NUMERIC_TEXT),
                        st.decimals(allow_nan=False, allow_infinity=False).map(str))
    elif base in ("real", "double precision"):
        one = st.sampled_from(["NaN", "Infinity", "-Infinity", "0", "-1", "1e30", "1e-30"])
    elif base == "boolean":
        one = st.booleans()
    elif base in ("jsonb", "json"):
        one = jsonb_values(pools)
    elif base == "uuid":
        one = st.one_of(st.sampled_from(pools.wallets), st.uuids().map(str))
    else:
        one = st.none()  # a type not known here yet: NULL and its default only
    if arg.type.endswith("[]"):
        if base == "text" and "check" in arg.name:
            one = st.one_of(st.sampled_from(pools.checks), one)
        one = array_values(one)
    if arg.default is None:
        return weighted((1, st.none()), (5, one))
    return weighted((1, st.none()), (5, one), (1, st.just(OMIT)), (1, st.just(Expr(arg.default))))


# -- one call --------------------------------------------------------------------------------------


def call_sql(fn: Function, values: dict[str, object]) -> tuple[sql.Composed, list]:
    parts, params = [], []
    for arg in fn.args:
        v = values[arg.name]
        if v is OMIT:
            continue
        if isinstance(v, Expr):
            value = sql.SQL(v.text)
        else:
            value = sql.SQL("%s::" + arg.type)
            params.append(v)
        parts.append(sql.SQL("{} => {}").format(sql.Identifier(arg.name), value)
                     if arg.name else value)
    return sql.SQL("CALL recon.{}({})" if fn.procedure else "SELECT * FROM recon.{}({})").format(
        sql.Identifier(fn.name), sql.SQL(", ").join(parts)), params


def writes_nothing(fn: Function, values: dict[str, object]) -> bool:
    """A STABLE function, or a dry run (dry_run true, or left to its default of true)."""
    if not fn.volatile:
        return True
    dry = next((a for a in fn.args if a.name == "dry_run"), None)
    if dry is None:
        return False
    v = values[dry.name]
    return v is True or ((v is OMIT or isinstance(v, Expr)) and dry.default == "true")


class BadOutcome(AssertionError):
    pass


def attempt(w: World, fn: Function, values: dict[str, object]) -> str:
    """Call fn with values; check the outcome. A function runs in a transaction of its own,
    rolled back afterwards; a procedure (it may commit) in autocommit on the copy, whose state
    it may then change. Returns "accepted" or the SQLSTATE it was rejected with."""
    query, params = call_sql(fn, values)
    conn = w.proc if fn.procedure else w.conn
    shown = query.as_string(conn) + " -- " + repr([p[:80] + "..." if isinstance(p, str) and
                                                   len(p) > 80 else p for p in params])
    before = w.proc_baseline if fn.procedure else w.baseline
    w.stats[fn.name]["tried"] += 1
    try:
        cur = conn.execute(query, params, prepare=False)
        if cur.description:
            cur.fetchall()
        if not fn.procedure:
            # deferred constraint triggers (the guards' commit-time checks) fire here, as at
            # commit
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except psycopg.Error as err:
        outcome = err.sqlstate or "(none)"
        conn.rollback()
        bug = next((b for b in OPEN_BUGS if b.function == fn.name
                    and b.sqlstate == outcome and b.applies(values)), None)
        if bug:
            outcome = f"{outcome} (open bug)"
        elif outcome not in DOCUMENTED:
            raise BadOutcome(f"{shown}\n  failed with undocumented SQLSTATE {outcome}: "
                             f"{err.diag.message_primary}\n  context: "
                             f"{err.diag.context}") from err
        if outcome.startswith("RC") and not (err.diag.message_detail
                                             and err.diag.message_hint):
            raise BadOutcome(f"{shown}\n  {outcome} without a DETAIL and a HINT") from err
        diff = changed(before, checksum(w, conn))
        conn.rollback()
        if diff:
            raise BadOutcome(f"{shown}\n  failed ({outcome}) but changed {diff}") from err
        w.stats[fn.name]["rejected"] += 1
        w.codes[fn.name][outcome] += 1
        return outcome
    try:
        if fn.procedure:
            with conn.transaction(force_rollback=True):
                after_success(w, conn, before, fn, values, shown)
            w.proc_baseline = checksum(w, conn)  # what it committed is the state from now on
        else:
            after_success(w, conn, before, fn, values, shown)
    finally:
        conn.rollback()
        if not fn.procedure:
            diff = changed(before, checksum(w, conn))
            conn.rollback()
            assert not diff, f"{shown}\n  the rollback did not restore {diff}"
    w.stats[fn.name]["accepted"] += 1
    w.codes[fn.name]["accepted"] += 1
    return "accepted"


# After a successful call: a run, a plan, and applying it (which may refuse, with its code).
PROBES = ("SELECT recon.reconcile()", "SELECT count(*) FROM recon.fix()",
          "SELECT count(*) FROM recon.fix(dry_run => false, ticket => 'PROBE',"
          " reason => 'after a call', wallet_limit => 1000)")


def after_success(w: World, conn: psycopg.Connection, before: dict[str, str], fn: Function,
                  values: dict[str, object], shown: str) -> None:
    """A successful call broke nothing: checked inside a transaction rolled back afterwards."""
    now = checksum(w, conn)
    left = [t for t in SCRATCH
            if conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(t))).fetchone()[0]]
    if left:
        raise BadOutcome(f"{shown}\n  succeeded but left rows in {left}")
    if writes_nothing(fn, values) and changed(before, now):
        raise BadOutcome(f"{shown}\n  a call that writes nothing changed {changed(before, now)}")
    for probe in PROBES:
        try:
            conn.execute("SAVEPOINT probe")
            conn.execute(probe)
            conn.execute("RELEASE probe")
        except psycopg.Error as err:
            if probe != PROBES[-1] or err.sqlstate not in DOCUMENTED:
                raise BadOutcome(f"{shown}\n  succeeded, but then {probe} failed with "
                                 f"{err.sqlstate}: {err.diag.message_primary}") from err
            conn.execute("ROLLBACK TO probe")
    stale = objects_not_current(w, conn)
    if stale:
        raise BadOutcome(f"{shown}\n  succeeded, but the toolkit is no longer as installed: "
                         f"{stale}")


# -- the tests -----------------------------------------------------------------------------------


def test_every_public_function_is_covered(world: World) -> None:
    names = {f.name for f in world.functions}
    on_disk = {p.stem for p in (ROOT / "functions").rglob("*.sql") if not p.stem.startswith("_")}
    assert names == on_disk, "the catalog and functions/ disagree on the public API"
    for f in world.functions:
        for a in f.args:
            assert a.name, f"{f.signature}: unnamed argument"


def test_bad_input_everywhere(world: World) -> None:
    started = time.monotonic()
    failures = []
    valid = valid_calls(world)
    for fn in world.functions:
        try:
            hypothesis_test(world, fn, valid.get(fn.name, []))()
        except BadOutcome as err:
            failures.append(f"recon.{fn.name}: {err}")
    print(f"\nbad input: {time.monotonic() - started:.1f} s")
    assert not failures, "\n\n".join(failures)


def valid_calls(w: World) -> dict[str, list[dict[str, object]]]:
    """Calls that reach deep into each function on the setup, to mutate one or two arguments
    of. A function not listed here is called with generated values only."""
    p = w.pools
    checks = w.conn.execute("SELECT kind, options::text FROM _recon.check_def ORDER BY name")
    register_check = [{"name": "bad_input_new", "kind": kind, "options": options}
                      for kind, options in checks.fetchall()]
    register_check.append({"name": "bad_input_new", "kind": "custom",
                           "options": to_json({"query": CUSTOM_QUERY})})
    w.conn.rollback()
    apply = {"dry_run": False, "ticket": "INC-8", "reason": "bad input"}
    return {
        "acknowledge_alert": [{"ids": array_literal(p.ids["alert"]), "note": "INC-42"}],
        "allow_ledger_change": [{"ledger": "s0_ledger", "ticket": "INC-77",
                                 "reason": "GDPR erasure"}],
        "backfill": [{"coverage_check": "s3_coverage"}, {"coverage_check": "s3_coverage",
                                                          "wallet_columns": '{"status": "new"}',
                                                          **apply}],
        "describe_check": [{"name": c} for c in p.checks],
        "disable_guard": [{"kind": "append_only", "target": "s0_ledger"}],
        "drop_check": [{"name": "s0_chain"}, {"name": "s3_treasury"}],
        "drop_source": [{"name": "spare_wallets"}],
        "enable_guard": [
            {"kind": "drift", "target": "s0_ledger", "options": '{"mode": "warn"}'},
            {"kind": "drift", "target": "s3_journal",
             "options": '{"mode": "block", "tolerance": 0.01}'},
            {"kind": "double_entry", "target": "s3_journal", "options": "{}"},
            {"kind": "append_only", "target": "s0_ledger", "options": '{"mode": "warn"}'},
        ],
        "fix": [{}, {"wallet_limit": "1000", **apply}, {"checks": "{s0_balance}"},
                {"run_id": p.ids["run"][0], "force_strategy": "adjust", "wallet_limit": "100"},
                {"wallets": array_literal(p.wallets[:3]), "run_limit": "50", **apply}],
        "reconcile": [{}, {"checks": "{s0_balance,s3_balance}", "mode": "incremental"}],
        "reconcile_run": [{}, {"checks": "{s0_balance,s3_balance}", "mode": "incremental"}],
        "start_run": [{}, {"checks": "{s0_balance,s3_balance}", "mode": "incremental"}],
        "schedule_reconcile": [{}],
        "unschedule_reconcile": [{}],
        "register_check": register_check,
        "register_ledger_source": [
            {"name": "bad_input_new", "wallet_source": "s0_wallets",
             "relation": "seed000.wallet_transaction", "wallet_column": "wallet_id",
             "amount_column": "amount", "options": to_json(S0_LEDGER_OPTIONS)},
            {"name": "bad_input_new", "wallet_source": "s3_wallets",
             "relation": "seed003.coin_journal_entries", "wallet_column": "wallet_id",
             "amount_column": "amount", "options": to_json(S3_LEDGER_OPTIONS)},
        ],
        "register_wallet_source": [
            {"name": "bad_input_new", "relation": "seed000.wallet_account",
             "key_column": "id", "balance_columns": "{balance}",
             "options": to_json(WALLET_OPTIONS)}],
        "register_writer": [{"ledger": ledger, "options": options} for ledger, options in
                            w.conn.execute("SELECT ledger_source, options::text"
                                           " FROM _recon.writer").fetchall()],
        "reverse_fix": [{"fix_id": f} for f in p.ids["fix"]]
        + [{"fix_id": f, **apply} for f in p.ids["fix"]],
        "set_check_enabled": [{"name": c, "enabled": False} for c in p.checks],
        "set_fix_policy": [{"check_name": "s0_balance",
                            "options": '{"strategy": "adjust", "wallet_limit": 100}'},
                           {"check_name": "s0_orphans", "options": '{"column": "balance"}'}],
    }


def call_strategy(w: World, fn: Function, valid: list[dict[str, object]]) -> st.SearchStrategy:
    """Generated values for every argument; or, mostly, a valid call with one argument (or two)
    replaced by a generated value, or one key of its JSON options changed, so that each hostile
    value reaches as deep into the function as it can."""
    generic = {a.name: values_for(w.pools, a) for a in fn.args}
    anything = st.fixed_dictionaries(generic)
    if not valid or not fn.args:
        return anything
    names = [a.name for a in fn.args]
    json_args = {a.name for a in fn.args if a.type in ("jsonb", "json")}

    def replaced(base: dict[str, object], chosen: list[str]) -> st.SearchStrategy:
        full = {a.name: base.get(a.name, OMIT) for a in fn.args}
        out = {}
        for n in names:
            if n not in chosen:
                out[n] = st.just(full[n])
            elif n in json_args and isinstance(full[n], str):
                out[n] = weighted((1, generic[n]), (2, mutate_json(w.pools, full[n])))
            else:
                out[n] = generic[n]
        return st.fixed_dictionaries(out)

    one = st.tuples(st.sampled_from(valid), st.sampled_from(names)).flatmap(
        lambda t: replaced(t[0], [t[1]]))
    two = st.tuples(st.sampled_from(valid), st.lists(st.sampled_from(names), min_size=2,
                                                     max_size=2, unique=True)).flatmap(
        lambda t: replaced(t[0], t[1])) if len(names) > 1 else one
    return weighted((2, anything), (8, one), (2, two),
                    (1, st.sampled_from(valid).flatmap(lambda base: replaced(base, []))))


def mutate_json(pools: Pools, text: str) -> st.SearchStrategy:
    base = json.loads(text)
    if not isinstance(base, dict):
        return st.just(text)
    keys = weighted((3, st.sampled_from(sorted(base) or ["x"])),
                    (2, st.sampled_from(NUMBER_KEYS)), (1, st.sampled_from(pools.option_keys)))
    value = weighted((2, st.sampled_from(JSON_NUMBERS).map(RawJson)), (3, json_values(pools)),
                     (1, st.just(OMIT)))
    return st.lists(st.tuples(keys, value), min_size=1, max_size=2).map(
        lambda edits: to_json(_edit(base, edits)))


def hypothesis_test(w: World, fn: Function, valid: list[dict[str, object]]) -> Callable[[], None]:
    strategy = call_strategy(w, fn, valid)

    @settings(max_examples=EXAMPLES_PER_FUNCTION, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(values=strategy)
    def call(values: dict[str, object]) -> None:
        attempt(w, fn, values)

    return call


def print_counts(w: World) -> None:
    total = Counter()
    lines = [f"{'function':<24}{'tried':>7}{'rejected':>10}{'accepted':>10}  SQLSTATEs"]
    for fn in sorted(w.stats):
        s = w.stats[fn]
        total.update(s)
        codes = ", ".join(f"{c} {n}" for c, n in sorted(w.codes[fn].items()) if c != "accepted")
        lines.append(f"{fn:<24}{s['tried']:>7}{s['rejected']:>10}{s['accepted']:>10}  {codes}")
    lines.append(f"{'total':<24}{total['tried']:>7}{total['rejected']:>10}"
                 f"{total['accepted']:>10}")
    print("\n" + "\n".join(lines))



# Calls that once failed wrongly, each fixed in the code: (function, arguments, the outcome).
REGRESSIONS = [
    # an integer threshold beyond integer: 22003 (numeric field overflow) at the INSERT
    ("register_check", {"name": "bad_input_new", "kind": "balance",
                        "options": '{"ledger": "s0_ledger", "critical_wallets": 1e30}'}, "RC106"),
    ("register_check", {"name": "bad_input_new", "kind": "balance",
                        "options": '{"ledger": "s0_ledger", "pattern_wallets": 2147483648}'},
     "RC106"),
    # a NULL column name: 22004 (format('%I') of NULL) while compiling
    ("register_check", {"name": "bad_input_new", "kind": "balance",
                        "options": '{"ledger": "s0_ledger", "columns": [null]}'}, "RC106"),
    # a column twice: accepted, every finding of that column reported twice
    ("register_check", {"name": "bad_input_new", "kind": "balance",
                        "options": '{"ledger": "s0_ledger", "columns": ["balance", "balance"]}'},
     "RC106"),
    ("register_wallet_source", {"name": "bad_input_new", "relation": "seed000.wallet_account",
                                "key_column": "id", "balance_columns": "{balance,balance}"},
     "RC106"),
    # an operation that moves nothing: 23502 (NULL effects) at the INSERT
    ("register_ledger_source", {"name": "bad_input_new", "wallet_source": "s0_wallets",
                                "relation": "seed000.wallet_transaction",
                                "wallet_column": "wallet_id", "amount_column": "amount",
                                "options": '{"operation": "type", "effects": {"CREDIT": {}}}'},
     "RC106"),
    # the same value for credit and debit: accepted, every credit counted as a debit
    ("register_ledger_source", {"name": "bad_input_new", "wallet_source": "s0_wallets",
                                "relation": "seed000.wallet_transaction",
                                "wallet_column": "wallet_id", "amount_column": "amount",
                                "options": '{"direction": "type", "credit": "X", "debit": "X"}'},
     "RC106"),
    # one key for every new wallet: 23505 (unique violation) when applied
    ("backfill", {"coverage_check": "s3_coverage", "wallet_key": "{now}", "dry_run": False,
                  "ticket": "INC-8", "reason": "bad input", "wallet_columns": '{"status": "new"}'},
     "RC309"),
    ("backfill", {"coverage_check": "s3_coverage", "wallet_key": "same"}, "RC309"),
    # a wallet column value its column cannot take: 22007 when applied
    ("backfill", {"coverage_check": "s3_coverage", "dry_run": False, "ticket": "INC-9",
                  "reason": "r", "wallet_columns": '{"created_at": "garbage"}'}, "RC309"),
    # a custom check without a wallet source: then applying any fix failed with 22023 (a NULL
    # key in the map of stored balances)
    ("register_check", {"name": "bad_input_new", "kind": "custom", "options": json.dumps(
        {"query": "SELECT id::text AS wallet_key, balance AS stored, balance AS expected,"
                  " 0::numeric AS difference, '{}'::jsonb AS details"
                  " FROM seed000.wallet_account"})}, "accepted"),
    # a posting function without its offset wallet: then applying a fix failed with the
    # function's own 23502; now RC305 (the writer failed), which the probe accepts
    ("register_writer", {"ledger": "s3_journal",
                         "options": '{"function": "seed003.post_recon_entry(jsonb)"}'},
     "accepted"),
    # a repair of 2.7e12 into numeric(14,2) columns, let through by a huge limit: 22003 when
    # applied; now that wallet is skipped ("would not fit") and the rest applied
    ("fix", {"dry_run": False, "ticket": "INC-9", "reason": "r", "wallet_limit": "1e30",
             "run_limit": "1e1000"}, "accepted"),
]


@pytest.mark.parametrize(("function", "args", "outcome"), REGRESSIONS,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(REGRESSIONS)])
def test_regression(world: World, function: str, args: dict[str, object], outcome: str) -> None:
    fn = next(f for f in world.functions if f.name == function)
    values = {a.name: args.get(a.name, OMIT) for a in fn.args}
    assert set(args) <= set(values), f"no such argument of {fn.signature}"
    assert attempt(world, fn, values) == outcome


def test_a_repair_the_columns_cannot_hold_is_skipped(world: World) -> None:
    huge = world.conn.execute("SELECT md5('wallet55')::uuid::text").fetchone()[0]
    try:
        # Its running balances cannot hold 2.7e12 either: the ledger's evidence (a broken
        # chain) leaves the wallet to a person before any limit is looked at.
        [(status, note)] = world.conn.execute(
            "SELECT status, note FROM recon.fix(wallet_limit => 1e30, run_limit => 1e30)"
            " WHERE check_name = 's0_balance' AND wallet_key = %s", (huge,)).fetchall()
        assert (status, note.split(" (")[0]) == (
            "manual", "the ledger is not consistent for this wallet")
        # The same on a ledger that keeps no running balance (no evidence): the size is what
        # stops it.
        world.conn.execute("UPDATE _recon.ledger_source SET balance_after_column = NULL"
                           " WHERE name = 's0_ledger'")
        for dry_run in (True, False):
            rows = world.conn.execute(
                "SELECT wallet_key, status, note FROM recon.fix(dry_run => %s, ticket => 'T',"
                " reason => 'r', wallet_limit => 1e30, run_limit => 1e30)"
                " WHERE check_name = 's0_balance'", (dry_run,)).fetchall()
            assert {k: (s, n.split(":")[0]) for k, s, n in rows if k == huge} == {
                huge: ("skipped", "would not fit balance (numeric(14,2))")}
            assert any(s in ("planned", "applied") for k, s, _ in rows if k != huge)
    finally:
        world.conn.rollback()


def test_a_writer_that_fails_is_rc305_and_changes_nothing(world: World) -> None:
    # seed 003's posting function writes the offset side itself: registered without its
    # offset wallet, it fails on its own NOT NULL column
    conn = world.conn
    try:
        conn.execute("SELECT recon.register_writer('s3_journal',"
                     " '{\"function\": \"seed003.post_recon_entry(jsonb)\"}')")
        conn.execute("SAVEPOINT before_fix")
        with pytest.raises(psycopg.Error) as err:
            conn.execute("SELECT * FROM recon.fix(dry_run => false, ticket => 'T', reason => 'r',"
                         " checks => ARRAY['s3_balance'], wallet_limit => 1000)")
        assert err.value.sqlstate == "RC305", err.value
        assert "23502" in err.value.diag.message_detail
        conn.execute("ROLLBACK TO before_fix")
    finally:
        conn.rollback()
    assert changed(world.baseline, checksum(world, conn)) == []
    conn.rollback()


def test_set_fix_policy_returns_the_strategy_it_uses(world: World) -> None:
    try:
        got = world.conn.execute(
            "SELECT recon.set_fix_policy('s0_balance', '{\"strategy\": null}')").fetchone()[0]
        assert got["strategy"] == "resync"
    finally:
        world.conn.rollback()
