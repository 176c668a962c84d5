"""DDL that moves rows into or out of a guarded table (the adversarial tester's repro 03).

A block-mode guard refused TRUNCATE of a partition but let DETACH PARTITION, DROP TABLE of a
partition and ATTACH PARTITION of a table holding rows commit drift, with nothing flagged. The
event triggers recon_guard_ddl_start / _end / _drop (_recon.evt_guard_ddl) now refuse them with
the guard's SQLSTATE. The DDL runs as the tables' owner, a role that is not a superuser (only
an owner can detach or drop); nothing it tried is kept, and reconcile agrees."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from conftest import reconcile, rows, run, run_cli

SCHEMA = """
CREATE SCHEMA gd;
CREATE TABLE gd.wallet (id int PRIMARY KEY, balance numeric NOT NULL);
CREATE TABLE gd.entry (id bigint NOT NULL, wallet_id int NOT NULL, amount numeric NOT NULL,
                       posted_on date NOT NULL) PARTITION BY RANGE (posted_on);
CREATE TABLE gd.entry_10 PARTITION OF gd.entry FOR VALUES FROM ('2026-10-01') TO ('2026-11-01');
CREATE TABLE gd.entry_11 PARTITION OF gd.entry FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
INSERT INTO gd.wallet VALUES (1, 30), (2, 5);
INSERT INTO gd.entry VALUES (1, 1, 10, '2026-10-05'), (2, 1, 20, '2026-11-05'),
                            (3, 2, 5, '2026-11-06');
-- a partitioned wallet table
CREATE TABLE gd.pwallet (id int PRIMARY KEY, region text NOT NULL, balance numeric NOT NULL)
    PARTITION BY RANGE (id);
CREATE TABLE gd.pwallet_eu PARTITION OF gd.pwallet FOR VALUES FROM (MINVALUE) TO (2);
CREATE TABLE gd.pwallet_us PARTITION OF gd.pwallet FOR VALUES FROM (2) TO (MAXVALUE);
CREATE TABLE gd.pentry (id bigint PRIMARY KEY, wallet_id int NOT NULL, amount numeric NOT NULL);
INSERT INTO gd.pwallet VALUES (1, 'eu', 10), (2, 'us', 20);
INSERT INTO gd.pentry VALUES (1, 1, 10), (2, 2, 20);
-- an inheritance ledger
CREATE TABLE gd.iwallet (id int PRIMARY KEY, balance numeric NOT NULL);
CREATE TABLE gd.ientry (id bigint NOT NULL, wallet_id int NOT NULL, amount numeric NOT NULL);
CREATE TABLE gd.ientry_old () INHERITS (gd.ientry);
INSERT INTO gd.iwallet VALUES (1, 7);
INSERT INTO gd.ientry_old VALUES (1, 1, 7);
SELECT recon.register_wallet_source('gd_w', 'gd.wallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('gd_l', 'gd_w', 'gd.entry', 'wallet_id', 'amount',
                                    '{"order_by": "id", "entry_id": "id"}');
SELECT recon.register_check('gd_b', 'balance', '{"ledger": "gd_l"}');
SELECT recon.register_wallet_source('gd_pw', 'gd.pwallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('gd_pl', 'gd_pw', 'gd.pentry', 'wallet_id', 'amount',
                                    '{"order_by": "id", "entry_id": "id"}');
SELECT recon.register_check('gd_pb', 'balance', '{"ledger": "gd_pl"}');
SELECT recon.register_wallet_source('gd_iw', 'gd.iwallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('gd_il', 'gd_iw', 'gd.ientry', 'wallet_id', 'amount',
                                    '{"order_by": "id", "entry_id": "id"}');
SELECT recon.register_check('gd_ib', 'balance', '{"ledger": "gd_il"}');
-- a role is the cluster's: another database of the same server (a matrix cell) may own
-- tables by it already, so it is made once, never dropped here
DO $$ BEGIN CREATE ROLE gd_owner NOSUPERUSER;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- made by another cell meanwhile
END $$;
GRANT USAGE, CREATE ON SCHEMA gd TO gd_owner;
DO $$ DECLARE t regclass; BEGIN
    FOR t IN SELECT c.oid FROM pg_class AS c WHERE c.relnamespace = 'gd'::regnamespace
                                             AND c.relkind IN ('r', 'p') LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO gd_owner', t);
    END LOOP;
END $$;
"""

BOOKS = ("gd.wallet", "gd.entry", "gd.pwallet", "gd.pentry", "gd.iwallet", "gd.ientry")


@pytest.fixture
def gd(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template(sql=(SCHEMA,)))


def books(dsn: str) -> list:
    return [rows(dsn, f"SELECT tableoid::regclass::text AS t, * FROM {t} ORDER BY 1, 2")
            for t in BOOKS] + [rows(dsn, "SELECT inhrelid::regclass::text AS c,"
                                         " inhdetachpending AS p FROM pg_inherits"
                                         " WHERE inhrelid::regclass::text LIKE 'gd.%'"
                                         " ORDER BY 1")]


def as_owner(dsn: str, *statements: str, autocommit: bool = False,
             role: str = "gd_owner") -> psycopg.Error | None:
    """The statements as role in one transaction: the error it ended with, or None."""
    with psycopg.connect(dsn, autocommit=autocommit) as c:
        c.execute(f"SET ROLE {role}")
        try:
            for s in statements:
                c.execute(s)
            c.commit()
        except psycopg.Error as e:
            return e
    return None


def synced(dsn: str) -> bool:
    return reconcile(dsn)["status"] == "synced"


REFUSED = [
    ("ALTER TABLE gd.entry DETACH PARTITION gd.entry_10", "DETACH (or NO INHERIT) of gd.entry_10"),
    ("DROP TABLE gd.entry_11", "DROP of gd.entry_11"),
    ("ALTER TABLE gd.pwallet DETACH PARTITION gd.pwallet_us",
     "DETACH (or NO INHERIT) of gd.pwallet_us"),
    ("ALTER TABLE gd.ientry_old NO INHERIT gd.ientry", "DETACH (or NO INHERIT) of gd.ientry_old"),
    ("DROP TABLE gd.ientry_old", "DROP of gd.ientry_old"),
]


@pytest.mark.core  # partition DDL and its event triggers are PostgreSQL-version machinery
def test_ddl_moving_rows_into_or_out_of_a_guarded_tree_is_refused_in_block_mode(gd: str) -> None:
    """DETACH, NO INHERIT, DROP of a child holding rows, ATTACH and INHERIT of a table holding
    rows, and DETACH ... CONCURRENTLY: RC401 as the tables' owner, nothing kept, reconcile
    synced. The same with empty tables passes (a new month, an emptied one detached)."""
    for ledger in ("gd_l", "gd_pl", "gd_il"):
        run(gd, f"SELECT recon.enable_guard('drift', '{ledger}', '{{\"mode\": \"block\"}}')")
    assert synced(gd)
    before = books(gd)
    for statement, what in REFUSED:
        e = as_owner(gd, statement)
        assert getattr(e, "sqlstate", None) == "RC401", (statement, e)
        assert what in e.diag.message_primary and "which holds rows" in e.diag.message_primary
        assert "recon.disable_guard('drift', " in e.diag.message_hint
        assert books(gd) == before
    # DETACH CONCURRENTLY commits its first transaction before ddl_command_end: refused first
    e = as_owner(gd, "ALTER TABLE gd.entry DETACH PARTITION gd.entry_10 CONCURRENTLY",
                 autocommit=True)
    assert getattr(e, "sqlstate", None) == "RC401", e
    assert "CONCURRENTLY" in e.diag.message_primary
    assert books(gd) == before  # not left detach-pending either
    # tables holding rows joining the trees
    run(gd, "CREATE TABLE gd.entry_12 (LIKE gd.entry)",
        "INSERT INTO gd.entry_12 VALUES (9, 2, 999, '2026-12-02')",
        "CREATE TABLE gd.ientry_new (LIKE gd.ientry)",
        "INSERT INTO gd.ientry_new VALUES (9, 1, 999)",
        "ALTER TABLE gd.ientry_new OWNER TO gd_owner")
    # (as the toolkit's owner: attaching a partition clones the incremental mode's row
    # triggers, recon_ledger_write / _order, whose functions only it may execute; the guard's
    # own are granted to gd_owner, see test_the_owner_creates_partitions_of_a_guarded_table)
    for statement, role in (("ALTER TABLE gd.entry ATTACH PARTITION gd.entry_12"
                             " FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')", "NONE"),
                            ("ALTER TABLE gd.ientry_new INHERIT gd.ientry", "gd_owner")):
        e = as_owner(gd, statement, role=role)
        assert getattr(e, "sqlstate", None) == "RC401", (statement, e)
        assert "ATTACH (or INHERIT)" in e.diag.message_primary
        assert "Attach it empty" in e.diag.message_hint
    assert books(gd) == before
    assert synced(gd)
    assert rows(gd, "SELECT triggers_off FROM recon.guards") == [{"triggers_off": []}] * 3
    # empty: attached, detached, dropped; rows moved through the guarded table pass
    assert as_owner(gd, "DELETE FROM gd.entry_12",
                    "ALTER TABLE gd.entry ATTACH PARTITION gd.entry_12"
                    " FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')",
                    "INSERT INTO gd.entry VALUES (9, 2, 1, '2026-12-02')",
                    "UPDATE gd.wallet SET balance = balance + 1 WHERE id = 2",
                    role="NONE") is None
    assert as_owner(gd, "DELETE FROM gd.entry_10", "UPDATE gd.wallet SET balance = balance - 10"
                    " WHERE id = 1", "ALTER TABLE gd.entry DETACH PARTITION gd.entry_10",
                    "DROP TABLE gd.entry_10") is None
    assert synced(gd)


def test_warn_mode_warns_and_lets_the_ddl_through(gd: str) -> None:
    """In warn mode the detach commits, with a warning and an alert naming the table."""
    run(gd, "SELECT recon.enable_guard('drift', 'gd_l', '{\"mode\": \"warn\"}')")
    assert as_owner(gd, "ALTER TABLE gd.entry DETACH PARTITION gd.entry_10") is None
    alerts = rows(gd, "SELECT message, details ->> 'table' AS t FROM recon.open_alerts")
    assert alerts == [{"message": "DETACH (or NO INHERIT) of gd.entry_10, which holds rows: its"
                                  " rows leave gd.entry without their counterpart",
                       "t": "gd.entry_10"}]
    assert not synced(gd)


def test_a_missing_ddl_event_trigger_is_flagged_for_block_mode(gd: str) -> None:
    """Without the event triggers (an install by a role that is not a superuser, or one dropped)
    block mode cannot refuse such DDL: recon.guards, status and the reconcile summary say so;
    a warn-mode guard is not flagged."""
    run(gd, "SELECT recon.enable_guard('drift', 'gd_l', '{\"mode\": \"block\"}')",
        "SELECT recon.enable_guard('drift', 'gd_pl', '{\"mode\": \"warn\"}')",
        "DROP EVENT TRIGGER recon_guard_ddl_drop")
    off = rows(gd, "SELECT target, triggers_off FROM recon.guards ORDER BY id")
    assert off == [{"target": "gd_l", "triggers_off": [
                       {"table": None, "trigger": "recon_guard_ddl_drop",
                        "state": "event trigger missing"}]},
                   {"target": "gd_pl", "triggers_off": []}]
    assert reconcile(gd)["guards_off"][0]["trigger"] == "recon_guard_ddl_drop"
    status = run_cli("status", dsn=gd).stdout
    assert ("drift guard on gd_l: event trigger missing: recon_guard_ddl_drop: DDL moving rows"
            in status)
    # and the drop it would have refused commits
    assert as_owner(gd, "DROP TABLE gd.entry_11") is None


@pytest.mark.parametrize("mode", ["block", "warn"])
def test_the_owner_creates_partitions_of_a_guarded_table(gd: str, mode: str) -> None:
    """The tables' owner, not the toolkit's owner, creates and attaches partitions of guarded
    partitioned tables (PostgreSQL clones their row triggers as that role, which failed with
    "permission denied for function" and no name before): the rows written there are guarded.
    A trigger it puts on a table of its own with a sealed guard function cannot feed the
    guard's sums (RC410)."""
    # the incremental mode's own row triggers on the ledgers (recon_ledger_write / _order,
    # functions/run) are cloned too: granted here, as the guard's are by enable_guard
    run(gd, "GRANT EXECUTE ON FUNCTION _recon.tg_ledger_write(), _recon.tg_ledger_order()"
            " TO gd_owner")
    run(gd, f"SELECT recon.enable_guard('drift', 'gd_l', '{{\"mode\": \"{mode}\"}}')",
        "SELECT recon.enable_guard('append_only', 'gd_l', '{\"mode\": \"block\"}')")
    assert as_owner(gd, "CREATE TABLE gd.entry_12 PARTITION OF gd.entry"
                        " FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')",
                    "CREATE TABLE gd.entry_01 (LIKE gd.entry)",
                    "ALTER TABLE gd.entry ATTACH PARTITION gd.entry_01"
                    " FOR VALUES FROM ('2027-01-01') TO ('2027-02-01')",
                    "INSERT INTO gd.entry VALUES (7, 2, 4, '2026-12-03')",
                    "UPDATE gd.wallet SET balance = balance + 4 WHERE id = 2") is None
    e = as_owner(gd, "INSERT INTO gd.entry VALUES (8, 2, 4, '2027-01-04')")
    if mode == "block":
        assert getattr(e, "sqlstate", None) == "RC401", e
        # the append-only guard's row trigger was cloned too
        e = as_owner(gd, "DELETE FROM gd.entry_12")
        assert getattr(e, "sqlstate", None) == "RC405", e
        assert synced(gd)
        gid = rows(gd, "SELECT id FROM recon.guards WHERE kind = 'drift'")[0]["id"]
        forge = ("CREATE TEMP TABLE fake (id bigint, wallet_id int, amount numeric,"
                 " posted_on date)",
                 f"CREATE TRIGGER f AFTER INSERT ON pg_temp.fake FOR EACH ROW"
                 f" EXECUTE FUNCTION _recon.tg_drift_{gid}_ledger()",
                 "INSERT INTO pg_temp.fake VALUES (1, 1, 1000, '2026-12-05')",
                 "UPDATE gd.wallet SET balance = balance + 1000 WHERE id = 1")
        # it cannot name the function (no USAGE on _recon); if it could, the function refuses
        assert getattr(as_owner(gd, *forge), "sqlstate", None) == "42501"
        run(gd, "GRANT USAGE ON SCHEMA _recon TO gd_owner")
        e = as_owner(gd, *forge)
        assert getattr(e, "sqlstate", None) == "RC410", e
    else:
        assert e is None
    assert rows(gd, "SELECT count(*) AS n FROM recon.guards WHERE triggers_off <> '[]'") == [
        {"n": 0}]
