"""Partitioned ledgers and views as sources (issue 14, items 5 and 6; docs/CHECKS.md
"Partitioned ledgers" and "Views as sources", docs/GUARDS.md).

Two monthly ledgers, one declaratively partitioned (PARTITION BY RANGE) and one made of
inheritance children, each with: clean data => 0 findings; injected drift found exactly; an
incremental run equal to a full one after further writes, into a partition added later too; a
blocking drift guard that stops a drifting write into any partition (one added after the guard
was enabled included) and lets a correct one through, and append-only and double-entry guards
on every partition. A view over one table with a WHERE: its guard sits on the base table and
counts only the rows the view shows, and incremental mode works through it. A join view:
enable_guard (RC406) and an INSERT writer (RC312) are refused and nothing changes. A wallet
source that is a view: its guard triggers sit on the base table, by the view's columns and
WHERE.
Everything through plain psycopg connections, as an application writes."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from conftest import rows, run

pytestmark = pytest.mark.major  # the matrix runs it once per major (pyproject.toml)

D = Decimal

# One monthly ledger, declarative or by inheritance: bigserial ids (a partition or child
# inherits the default), a status, a journal. Incremental mode needs an identity GENERATED
# ALWAYS on every table holding rows (docs/INCREMENTAL.md): partitions share their parent's
# from PostgreSQL 17 on, which the partitioned ledger then uses (ORDER_ID); before, and for
# inheritance children always, a writer can supply an id, and incremental mode runs in full.
PARTITIONED = """
CREATE SCHEMA led;
CREATE TABLE led.wallet (id int PRIMARY KEY, balance numeric NOT NULL DEFAULT 0);
CREATE TABLE led.entry (
    ORDER_ID, wallet_id int NOT NULL, amount numeric NOT NULL,
    posted_on date NOT NULL, journal text, status text NOT NULL DEFAULT 'posted'
) PARTITION BY RANGE (posted_on);
CREATE TABLE led.entry_2026_10 PARTITION OF led.entry
    FOR VALUES FROM ('2026-10-01') TO ('2026-11-01');
CREATE TABLE led.entry_2026_11 PARTITION OF led.entry
    FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
"""

INHERITED = """
CREATE SCHEMA led;
CREATE TABLE led.wallet (id int PRIMARY KEY, balance numeric NOT NULL DEFAULT 0);
CREATE TABLE led.entry (
    id bigserial, wallet_id int NOT NULL, amount numeric NOT NULL,
    posted_on date NOT NULL, journal text, status text NOT NULL DEFAULT 'posted'
);
CREATE TABLE led.entry_2026_10 (
    CHECK (posted_on >= '2026-10-01' AND posted_on < '2026-11-01')) INHERITS (led.entry);
CREATE TABLE led.entry_2026_11 (
    CHECK (posted_on >= '2026-11-01' AND posted_on < '2026-12-01')) INHERITS (led.entry);
"""

# How each kind adds next month's table, after the guard was enabled.
ADD_MONTH = {
    "partitioned": "CREATE TABLE led.entry_2026_12 PARTITION OF led.entry"
                   " FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')",
    "inherited": "CREATE TABLE led.entry_2026_12 (CHECK (posted_on >= '2026-12-01'"
                 " AND posted_on < '2027-01-01')) INHERITS (led.entry)",
}
# Each kind writes to a month through its own table (inheritance has no routing).
NOV, DEC = "led.entry_2026_11", "led.entry_2026_12"

REGISTER = [
    "SELECT recon.register_wallet_source('lw', 'led.wallet', 'id', ARRAY['balance'])",
    "SELECT recon.register_ledger_source('le', 'lw', 'led.entry', 'wallet_id', 'amount',"
    " '{\"order_by\": \"id\", \"entry_id\": \"id\", \"journal\": \"journal\"}')",
    "SELECT recon.register_check('lb', 'balance', '{\"ledger\": \"le\"}')",
]


def history(dsn: str) -> None:
    """Three wallets, entries in both months, stored balances that match."""
    run(dsn,
        "INSERT INTO led.wallet VALUES (1, 0), (2, 0), (3, 0)",
        "INSERT INTO led.entry_2026_10 (wallet_id, amount, posted_on)"
        " SELECT 1 + g % 3, g, date '2026-10-01' + g % 28 FROM generate_series(1, 30) AS g",
        "INSERT INTO led.entry_2026_11 (wallet_id, amount, posted_on)"
        " SELECT 1 + g % 3, -g / 10.0, date '2026-11-01' + g % 28 FROM generate_series(1, 30) AS g",
        "UPDATE led.wallet AS w SET balance = (SELECT sum(e.amount) FROM led.entry AS e"
        " WHERE e.wallet_id = w.id)")


def findings(dsn: str, mode: str) -> tuple[dict, set[tuple[str, Decimal]]]:
    """One reconcile in that mode: how the balance check ran, and its findings."""
    with psycopg.connect(dsn, autocommit=True) as c:
        summary = c.execute("SELECT recon.reconcile(NULL, %s)", (mode,)).fetchone()[0]
        found = c.execute("SELECT wallet_key, difference FROM _recon.finding"
                          " WHERE last_seen_run = %s AND check_name = 'lb'",
                          (summary["run_id"],)).fetchall()
    return summary["runs"]["lb"], {(k, d) for k, d in found}


def write(dsn: str, *sql: str) -> psycopg.Error | None:
    """One application transaction on its own connection: the error it ended with, or None."""
    with psycopg.connect(dsn) as c:
        try:
            for stmt in sql:
                c.execute(stmt)
            c.commit()
        except psycopg.Error as e:
            return e
    return None


def partition_identity(dsn: str) -> bool:
    """PostgreSQL 17+: a partitioned table's identity column is its partitions' too."""
    return rows(dsn, "SELECT current_setting('server_version_num')::int >= 170000 AS v")[0]["v"]


@pytest.fixture(params=["partitioned", "inherited"])
def ledger(request: pytest.FixtureRequest, db: str) -> tuple[str, str]:
    identity = request.param == "partitioned" and partition_identity(db)
    ddl = PARTITIONED.replace("ORDER_ID", "id bigint GENERATED ALWAYS AS IDENTITY" if identity
                              else "id bigserial")
    run(db, ddl if request.param == "partitioned" else INHERITED, *REGISTER)
    history(db)
    return request.param, db


def incremental(kind: str, dsn: str, mode: dict, why: str | None = None) -> None:
    """The mode of a run asked to be incremental: incremental, or full for why. The ids are an
    identity (17+) or a bigserial whose values the trigger recon_ledger_order watches (0024). An
    inheritance child created after registration has no triggers of 0024 (statement triggers are
    not inherited): while it is there, every run is full and says so."""
    if kind == "inherited" and rows(dsn, "SELECT count(*) AS n FROM pg_inherits"
                                         " WHERE inhrelid = to_regclass(%s)", (DEC,))[0]["n"]:
        assert mode["mode"] == "full" and DEC in mode["why_full"] and (
            "no trigger recon_ledger_order on it" in mode["why_full"]), mode
    else:
        assert mode == {"mode": "incremental"} if why is None else (
            mode["mode"] == "full" and why in mode["why_full"]), mode


def test_clean_then_drift_found_exactly_and_incremental_equals_full(
        ledger: tuple[str, str]) -> None:
    kind, dsn = ledger
    mode, found = findings(dsn, "full")
    assert found == set()
    assert mode["watermark"] == "set", mode
    mode, found = findings(dsn, "incremental")
    incremental(kind, dsn, mode)
    assert found == set()

    # drift: a stored balance moved alone, an entry in a partition without its balance
    run(dsn, "UPDATE led.wallet SET balance = balance + 7 WHERE id = 1",
        f"INSERT INTO {NOV} (wallet_id, amount, posted_on) VALUES (2, 5, '2026-11-20')")
    expected = {("1", D(7)), ("2", D(-5))}
    mode, found = findings(dsn, "incremental")
    incremental(kind, dsn, mode)
    assert found == expected
    assert findings(dsn, "full")[1] == expected

    # a new month: its table changes the tree, so the next run is full and says why; after
    # it, entries into the new partition are added incrementally
    run(dsn, ADD_MONTH[kind],
        f"INSERT INTO {DEC} (wallet_id, amount, posted_on) VALUES (3, 4, '2026-12-02')")
    mode, found = findings(dsn, "incremental")
    incremental(kind, dsn, mode, "partition or child table")
    expected |= {("3", D(-4))}
    assert found == expected
    run(dsn, f"INSERT INTO {DEC} (wallet_id, amount, posted_on) VALUES (1, 7, '2026-12-03')",
        f"INSERT INTO {DEC} (wallet_id, amount, posted_on) VALUES (3, 4, '2026-12-04')",
        "UPDATE led.wallet SET balance = balance + 8 WHERE id = 3")
    expected = {("2", D(-5))}
    mode, found = findings(dsn, "incremental")
    incremental(kind, dsn, mode)
    assert found == expected
    assert findings(dsn, "full")[1] == expected

    # an old entry changed in one partition: recorded by recon_ledger_write, a full run follows
    # at once (no wait for the statistics)
    run(dsn, f"UPDATE {NOV} SET amount = amount + 1 WHERE id = (SELECT min(id) FROM {NOV})")
    mode, found = findings(dsn, "incremental")
    incremental(kind, dsn, mode, "updated or deleted")
    assert found == {("2", D(-6))} == findings(dsn, "full")[1]

    # a partition detached (its entries leave the ledger), or truncated: full, and equal
    detach = ("ALTER TABLE led.entry DETACH PARTITION led.entry_2026_12" if kind == "partitioned"
              else "ALTER TABLE led.entry_2026_12 NO INHERIT led.entry")
    findings(dsn, "full")
    run(dsn, detach)
    mode, found = findings(dsn, "incremental")
    # (inherited: the full run before had no watermark to set, its late child untracked)
    incremental(kind, dsn, mode, "detached" if kind == "partitioned" else "no watermark yet")
    assert found == findings(dsn, "full")[1]
    run(dsn, "TRUNCATE led.entry_2026_10")
    mode, found = findings(dsn, "incremental")
    incremental(kind, dsn, mode, "truncated")
    assert found == findings(dsn, "full")[1]


def test_guards_cover_every_partition_including_one_added_later(
        ledger: tuple[str, str]) -> None:
    kind, dsn = ledger
    assert findings(dsn, "full")[1] == set()
    run(dsn, "SELECT recon.enable_guard('drift', 'le', '{\"mode\": \"block\"}')",
        "SELECT recon.enable_guard('append_only', 'le', '{\"mode\": \"block\"}')",
        "SELECT recon.enable_guard('double_entry', 'le', '{\"mode\": \"block\"}')")

    def good(table: str, day: str) -> psycopg.Error | None:
        return write(dsn, f"INSERT INTO {table} (wallet_id, amount, posted_on, journal)"
                          f" VALUES (1, 5, '{day}', 'j-{table}-{day}'),"
                          f" (2, -5, '{day}', 'j-{table}-{day}')",
                     "UPDATE led.wallet SET balance = balance + 5 WHERE id = 1",
                     "UPDATE led.wallet SET balance = balance - 5 WHERE id = 2")

    def drifting(table: str, day: str) -> psycopg.Error | None:
        return write(dsn, f"INSERT INTO {table} (wallet_id, amount, posted_on, journal)"
                          f" VALUES (1, 5, '{day}', 'd-{table}-{day}'),"
                          f" (2, -5, '{day}', 'd-{table}-{day}')",
                     "UPDATE led.wallet SET balance = balance + 5 WHERE id = 1")

    def unbalanced(table: str, day: str) -> psycopg.Error | None:
        return write(dsn, f"INSERT INTO {table} (wallet_id, amount, posted_on, journal)"
                          f" VALUES (1, 5, '{day}', 'u-{table}-{day}')",
                     "UPDATE led.wallet SET balance = balance + 5 WHERE id = 1")

    targets = [(NOV, "2026-11-15")]
    if kind == "partitioned":
        targets.append(("led.entry", "2026-10-15"))  # through the parent, routed
    for table, day in targets:
        assert good(table, day) is None
        assert getattr(drifting(table, day), "sqlstate", None) == "RC401"
        assert getattr(unbalanced(table, day), "sqlstate", None) == "RC403"
    assert getattr(write(dsn, f"UPDATE {NOV} SET amount = 0"), "sqlstate", None) == "RC405"
    assert getattr(write(dsn, f"DELETE FROM {NOV}"), "sqlstate", None) == "RC405"
    assert getattr(write(dsn, f"TRUNCATE {NOV}"), "sqlstate", None) is not None

    # next month's table, created after the guards: it has their triggers at once
    run(dsn, ADD_MONTH[kind])
    assert good(DEC, "2026-12-15") is None
    assert getattr(drifting(DEC, "2026-12-16"), "sqlstate", None) == "RC401"
    assert getattr(unbalanced(DEC, "2026-12-17"), "sqlstate", None) == "RC403"
    assert getattr(write(dsn, f"DELETE FROM {DEC}"), "sqlstate", None) == "RC405"
    # ... and one attached (partition) or made a child (inheritance) after creation
    if kind == "partitioned":
        attach = ["CREATE TABLE led.entry_2027_01 (LIKE led.entry INCLUDING DEFAULTS)",
                  "ALTER TABLE led.entry ATTACH PARTITION led.entry_2027_01"
                  " FOR VALUES FROM ('2027-01-01') TO ('2027-02-01')"]
    else:
        attach = ["CREATE TABLE led.entry_2027_01 (LIKE led.entry INCLUDING DEFAULTS)",
                  "ALTER TABLE led.entry_2027_01 INHERIT led.entry"]
    run(dsn, *attach)
    # PostgreSQL 17+ with an identity on the partitioned table: a table made LIKE it has no
    # identity of its own, so its rows are written through the partitioned table (they are
    # routed into it, where its triggers fire); before 17, bigserial fills them directly
    new = ("led.entry" if kind == "partitioned" and partition_identity(dsn)
           else "led.entry_2027_01")
    assert good(new, "2027-01-15") is None
    assert getattr(drifting(new, "2027-01-16"), "sqlstate", None) == "RC401"
    assert getattr(unbalanced(new, "2027-01-17"), "sqlstate", None) == "RC403"
    assert rows(dsn, "SELECT count(*) AS n FROM led.entry_2027_01") == [{"n": 2}]

    assert findings(dsn, "full")[1] == set()
    assert rows(dsn, "SELECT count(*) AS n FROM _recon.guard_pending") == [{"n": 0}]
    # a table holding rows is not detached under a block-mode guard (its rows would leave the
    # ledger without their balances: tests/test_guard_ddl.py); in warn mode it is, with a
    # warning, and is no longer guarded: its rows are no ledger entries
    detach = ("ALTER TABLE led.entry DETACH PARTITION led.entry_2027_01" if kind == "partitioned"
              else "ALTER TABLE led.entry_2027_01 NO INHERIT led.entry")
    assert getattr(write(dsn, detach), "sqlstate", None) == "RC401"
    for kind_ in ("drift", "append_only", "double_entry"):
        run(dsn, f"SELECT recon.enable_guard('{kind_}', 'le', '{{\"mode\": \"warn\"}}')")
    run(dsn, detach)
    assert rows(dsn, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'led.entry_2027_01'::regclass"
                     " AND tgname LIKE 'recon_guard%'") == []
    # (its id given: on 17+ the table made LIKE an identity column has no default of its own)
    assert write(dsn, "INSERT INTO led.entry_2027_01 (id, wallet_id, amount, posted_on)"
                      " VALUES (999999, 1, 5, '2027-01-18')",
                 "DELETE FROM led.entry_2027_01") is None
    # disabling removes every trigger it and the event trigger created, on every table
    for kind_ in ("drift", "append_only", "double_entry"):
        run(dsn, f"SELECT recon.disable_guard('{kind_}', 'le')")
    assert rows(dsn, "SELECT tgrelid::regclass::text AS t, tgname FROM pg_trigger"
                     " WHERE tgname LIKE 'recon_guard%'") == []


VIEW_LEDGER = """
CREATE SCHEMA vl;
CREATE TABLE vl.wallet (id int PRIMARY KEY, balance numeric NOT NULL DEFAULT 0);
CREATE TABLE vl.entry (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id int NOT NULL, amount_minor bigint NOT NULL,
    status text NOT NULL
);
-- what the application calls its ledger: posted entries, in units
CREATE VIEW vl.posted AS
    SELECT e.id, e.wallet_id, e.amount_minor AS amount FROM vl.entry AS e
    WHERE e.status = 'posted';
CREATE VIEW vl.joined AS
    SELECT e.id, e.wallet_id, e.amount_minor AS amount
    FROM vl.entry AS e JOIN vl.wallet AS w ON w.id = e.wallet_id;
INSERT INTO vl.wallet VALUES (1, 100), (2, 0);
INSERT INTO vl.entry (wallet_id, amount_minor, status)
VALUES (1, 60, 'posted'), (1, 40, 'posted'), (2, 999, 'pending'), (2, 5, 'void');
SELECT recon.register_wallet_source('vw', 'vl.wallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('vp', 'vw', 'vl.posted', 'wallet_id', 'amount',
                                    '{"order_by": "id", "entry_id": "id"}');
SELECT recon.register_check('vb', 'balance', '{"ledger": "vp"}');
"""


def test_view_over_one_table_guard_on_base_table_with_its_where(db: str) -> None:
    run(db, VIEW_LEDGER)
    full = rows(db, "SELECT recon.reconcile(NULL, 'full') -> 'runs' -> 'vb' AS r")[0]["r"]
    assert full == {"mode": "full", "watermark": "set"}
    assert rows(db, "SELECT count(*) AS n FROM recon.open_findings") == [{"n": 0}]

    run(db, "SELECT recon.enable_guard('drift', 'vp', '{\"mode\": \"block\"}')",
        "SELECT recon.enable_guard('append_only', 'vp', '{\"mode\": \"block\"}')")
    triggers = rows(db, "SELECT DISTINCT tgrelid::regclass::text AS t FROM pg_trigger"
                        " WHERE tgname LIKE 'recon_guard%' ORDER BY 1")
    assert triggers == [{"t": "vl.entry"}, {"t": "vl.wallet"}]
    # rows the view does not show move nothing: no balance change needed
    assert write(db, "INSERT INTO vl.entry (wallet_id, amount_minor, status)"
                     " VALUES (2, 50, 'pending')") is None
    assert write(db, "UPDATE vl.entry SET amount_minor = 7 WHERE status = 'void'") is None
    # a posted row without its balance is drift, with it it is fine
    assert getattr(write(db, "INSERT INTO vl.entry (wallet_id, amount_minor, status)"
                             " VALUES (2, 50, 'posted')"), "sqlstate", None) == "RC401"
    assert write(db, "INSERT INTO vl.entry (wallet_id, amount_minor, status)"
                     " VALUES (2, 50, 'posted')",
                 "UPDATE vl.wallet SET balance = balance + 50 WHERE id = 2") is None
    # a pending row becoming posted enters the view: it needs its balance, like an insert
    assert getattr(write(db, "UPDATE vl.entry SET status = 'posted'"
                             " WHERE status = 'pending' AND amount_minor = 50"),
                   "sqlstate", None) == "RC401"
    assert write(db, "UPDATE vl.entry SET status = 'posted'"
                     " WHERE status = 'pending' AND amount_minor = 50",
                 "UPDATE vl.wallet SET balance = balance + 50 WHERE id = 2") is None
    # append-only: a posted row cannot change; a hidden one (the void row) could, above
    assert getattr(write(db, "UPDATE vl.entry SET amount_minor = 1 WHERE status = 'posted'"),
                   "sqlstate", None) == "RC405"
    assert rows(db, "SELECT count(*) AS n FROM _recon.guard_pending") == [{"n": 0}]

    # incremental mode through the base table: an update (the pending row posted) made the
    # next run full (recorded by recon_ledger_write: no wait for the statistics); then new
    # entries are incremental, and equal to full
    inc = rows(db, "SELECT recon.reconcile(NULL, 'incremental') AS s")[0]["s"]
    assert inc["runs"]["vb"]["mode"] == "full" and inc["findings"] == 0, inc
    run(db, "SELECT recon.disable_guard('drift', 'vp')",
        "INSERT INTO vl.entry (wallet_id, amount_minor, status) VALUES (1, 3, 'posted'),"
        " (1, 1000, 'pending')")
    inc = rows(db, "SELECT recon.reconcile(NULL, 'incremental') AS s")[0]["s"]
    assert inc["runs"]["vb"] == {"mode": "incremental"} and inc["findings"] == 1, inc
    found = rows(db, "SELECT wallet_key, difference FROM recon.open_findings")
    assert found == [{"wallet_key": "1", "difference": D(-3)}]
    full = rows(db, "SELECT recon.reconcile(NULL, 'full') AS s")[0]["s"]
    assert full["findings"] == 1
    # the view redefined: what counts changed without any table changing: full
    run(db, "CREATE OR REPLACE VIEW vl.posted AS SELECT e.id, e.wallet_id,"
            " e.amount_minor AS amount FROM vl.entry AS e WHERE e.status IN ('posted', 'void')")
    inc = rows(db, "SELECT recon.reconcile(NULL, 'incremental') AS s")[0]["s"]
    assert inc["runs"]["vb"]["mode"] == "full" and "redefined" in inc["runs"]["vb"]["why_full"]
    # a view whose rows move with time (now()): never incremental, it says why
    run(db, "ALTER TABLE vl.entry ADD COLUMN due timestamptz NOT NULL DEFAULT now()",
        "CREATE OR REPLACE VIEW vl.posted AS SELECT e.id, e.wallet_id,"
        " e.amount_minor AS amount FROM vl.entry AS e WHERE e.due <= now()")
    for _ in range(2):
        inc = rows(db, "SELECT recon.reconcile(NULL, 'incremental') AS s")[0]["s"]
        assert "IMMUTABLE" in inc["runs"]["vb"]["why_full"], inc


def test_join_view_refused_for_guards_and_insert_writers(db: str) -> None:
    run(db, VIEW_LEDGER,
        "SELECT recon.register_ledger_source('vj', 'vw', 'vl.joined', 'wallet_id', 'amount',"
        " '{\"order_by\": \"id\", \"entry_id\": \"id\"}')")

    def state() -> list[dict]:
        return rows(db, """
            SELECT (SELECT count(*) FROM _recon.guard) AS guards,
                   (SELECT count(*) FROM _recon.writer) AS writers,
                   (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'recon_guard%') AS triggers,
                   (SELECT count(*) FROM pg_proc WHERE proname LIKE 'tg_drift%') AS functions""")

    before = state()
    for kind in ("drift", "append_only", "double_entry"):
        with psycopg.connect(db, autocommit=True) as c, pytest.raises(psycopg.Error) as ei:
            c.execute(f"SELECT recon.enable_guard('{kind}', 'vj', '{{\"mode\": \"block\"}}')")
        if kind == "double_entry":  # no journal column: RC106 comes first, as for a table
            assert ei.value.sqlstate == "RC106"
            continue
        assert ei.value.sqlstate == "RC406", str(ei.value)
        assert "vl.joined" in ei.value.diag.message_detail
        assert ei.value.diag.message_hint
    with psycopg.connect(db, autocommit=True) as c, pytest.raises(psycopg.Error) as ei:
        c.execute("SELECT recon.register_writer('vj', '{\"columns\": {}}')")
    assert ei.value.sqlstate == "RC312"
    assert "vl.joined" in ei.value.diag.message_detail and ei.value.diag.message_hint
    assert state() == before
    # the join view is still accepted as a source, and its checks run (in full, saying why)
    run(db, "SELECT recon.register_check('vjb', 'balance', '{\"ledger\": \"vj\"}')")
    summary = rows(db, "SELECT recon.reconcile(NULL, 'incremental') AS s")[0]["s"]
    assert summary["runs"]["vjb"]["mode"] == "full"
    assert "not a simple view" in summary["runs"]["vjb"]["why_full"]


def test_wallet_view_guarded_on_its_base_table_by_its_columns_and_where(db: str) -> None:
    """A wallet source that is a simple view renaming its balance column and hiding system
    accounts: the drift guard's wallet triggers sit on the base table, read the view's column
    and ignore the rows it hides; its checks run in full and say why."""
    run(db, """
        CREATE SCHEMA wv;
        CREATE TABLE wv.account (id int PRIMARY KEY, bal numeric NOT NULL DEFAULT 0,
                                 kind text NOT NULL);
        CREATE VIEW wv.wallets AS SELECT a.id, a.bal AS balance FROM wv.account AS a
            WHERE a.kind = 'wallet';
        CREATE TABLE wv.entry (id bigserial PRIMARY KEY, wallet_id int NOT NULL,
                               amount numeric NOT NULL);
        INSERT INTO wv.account VALUES (1, 0, 'wallet'), (2, 0, 'system');
        SELECT recon.register_wallet_source('wvw', 'wv.wallets', 'id', ARRAY['balance']);
        SELECT recon.register_ledger_source('wvl', 'wvw', 'wv.entry', 'wallet_id', 'amount',
                                            '{"order_by": "id"}');
        SELECT recon.register_check('wvb', 'balance', '{"ledger": "wvl"}');
        SELECT recon.enable_guard('drift', 'wvl', '{"mode": "block"}');
    """)
    assert rows(db, "SELECT DISTINCT tgrelid::regclass::text AS t FROM pg_trigger"
                    " WHERE tgname LIKE 'recon_guard%' ORDER BY 1") == [
        {"t": "wv.account"}, {"t": "wv.entry"}]
    assert write(db, "INSERT INTO wv.entry (wallet_id, amount) VALUES (1, 5)",
                 "UPDATE wv.account SET bal = bal + 5 WHERE id = 1") is None
    assert getattr(write(db, "UPDATE wv.account SET bal = bal + 5 WHERE id = 1"),
                   "sqlstate", None) == "RC401"
    assert write(db, "UPDATE wv.account SET bal = bal + 5 WHERE id = 2") is None  # hidden
    summary = rows(db, "SELECT recon.reconcile(NULL, 'incremental') AS s")[0]["s"]
    assert summary["findings"] == 0
    assert "wallet source is a view" in summary["runs"]["wvb"]["why_full"], summary
