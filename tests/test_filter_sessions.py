"""Entry filters on date and time columns mean what they meant at registration, whatever the
session that reads them (tester finding adv5-04/05): a block-mode drift guard's trigger runs in
the writer's session and reconcile in the caller's, and both used to cast the registered text
again there, so a writer's `SET TimeZone` let drift past a block guard and a cron job's PGTZ or
DateStyle changed reconcile's answer. Registration now keeps each value as
_recon.filter_value_text makes it (ISO 8601, a timestamptz with its offset), and an upgrade
reads the ones registered before once more (_recon.canonical_filters). As a writer role with
table rights only, against a real PostgreSQL."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from conftest import ROOT, rows, run, run_cli

SCHEMA = """
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';
CREATE SCHEMA fs;
CREATE TABLE fs.wallet (id text PRIMARY KEY, balance numeric(14, 2) NOT NULL);
CREATE TABLE fs.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                       wallet_id text NOT NULL, amount numeric(14, 2) NOT NULL,
                       posted_at timestamptz NOT NULL, value_date date NOT NULL,
                       hold interval NOT NULL DEFAULT '0');
INSERT INTO fs.wallet VALUES ('a', 100), ('b', 70);
-- before the cutover (not counted), then after it
INSERT INTO fs.entry (wallet_id, amount, posted_at, value_date) VALUES
    ('a', 999, '2025-12-31 10:00+00', '2026-01-20'), ('a', 100, '2026-01-02 10:00+00', '2026-01-20'),
    ('b', 500, '2026-01-02 10:00+00', '2026-01-01'), ('b', 70, '2026-01-02 10:00+00', '2026-01-20');
DROP ROLE IF EXISTS fs_writer;
CREATE ROLE fs_writer;
GRANT USAGE ON SCHEMA fs TO fs_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON fs.wallet, fs.entry TO fs_writer;
"""
# posted from 2026-01-01 00:00 UTC, value-dated after 2 January (MDY: 01/02/2026), held less
# than a day and a half
REGISTER = """
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';
SET IntervalStyle = 'postgres';
SELECT recon.register_wallet_source('fs_w', 'fs.wallet', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('fs_l', 'fs_w', 'fs.entry', 'wallet_id', 'amount',
  '{"entry_id": "id", "order_by": "id", "filters": [
     {"column": "posted_at", "op": ">=", "value": "2026-01-01 00:00"},
     {"column": "value_date", "op": ">", "value": "01/02/2026"},
     {"column": "hold", "op": "<", "value": "1 day 12:00"}]}');
SELECT recon.register_check('fs_bal', 'balance', '{"ledger": "fs_l", "currency": "USD"}');
"""
SESSIONS = [
    ("UTC", "ISO, MDY", "postgres"), ("Etc/GMT+12", "ISO, MDY", "postgres"),
    ("Pacific/Kiritimati", "SQL, DMY", "sql_standard"), ("UTC", "German, DMY", "iso_8601")]


def reconcile_in(dsn: str, tz: str, datestyle: str, intervalstyle: str) -> tuple:
    with psycopg.connect(dsn, autocommit=True) as c:
        for name, value in (("TimeZone", tz), ("DateStyle", datestyle),
                            ("IntervalStyle", intervalstyle)):
            c.execute("SELECT set_config(%s, %s, false)", (name, value))
        status = c.execute("SELECT recon.reconcile() ->> 'status'").fetchone()[0]
        found = c.execute("SELECT wallet_key, difference FROM recon.open_findings"
                          " ORDER BY wallet_key").fetchall()
        view = c.execute("SELECT wallet_key, difference FROM recon.discrepancies"
                         " ORDER BY wallet_key").fetchall()
    return status, found, view


@pytest.fixture
def ledger(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template(sql=(SCHEMA, REGISTER)))


def test_filter_values_are_kept_in_a_form_every_session_reads_alike(ledger: str) -> None:
    assert rows(ledger, "SELECT filters FROM _recon.ledger_source WHERE name = 'fs_l'")[0][
        "filters"] == [
        {"column": "posted_at", "op": ">=", "values": ["2026-01-01T00:00:00+00:00"]},
        {"column": "value_date", "op": ">", "values": ["2026-01-02"]},
        {"column": "hold", "op": "<", "values": ["+0 months +1 days +43200 seconds"]}]


@pytest.mark.parametrize(("tz", "datestyle", "intervalstyle"), SESSIONS)
def test_reconcile_answers_the_same_in_every_session(
        ledger: str, tz: str, datestyle: str, intervalstyle: str) -> None:
    assert reconcile_in(ledger, tz, datestyle, intervalstyle) == ("synced", [], [])
    # a 50.00 drift on a: found whatever the caller's settings, as the check's view finds it
    run(ledger, "UPDATE fs.wallet SET balance = balance + 50 WHERE id = 'a'")
    status, found, view = reconcile_in(ledger, tz, datestyle, intervalstyle)
    assert (status, [(k, str(d)) for k, d in found]) == ("discrepancy", [("a", "50.00")])
    assert found == view


@pytest.mark.parametrize(("tz", "datestyle", "intervalstyle"), SESSIONS[1:])
def test_a_block_guard_reads_the_cutover_as_registered_whatever_the_writer_sets(
        ledger: str, tz: str, datestyle: str, intervalstyle: str) -> None:
    run(ledger, "SELECT recon.enable_guard('drift', 'fs_l', '{\"mode\": \"block\"}')")
    with psycopg.connect(ledger) as c:
        c.execute("SET ROLE fs_writer")
        for name, value in (("TimeZone", tz), ("DateStyle", datestyle),
                            ("IntervalStyle", intervalstyle)):
            c.execute("SELECT set_config(%s, %s, false)", (name, value))
        c.commit()
        # after the cutover, value-dated after 2 January, no hold: counted, so without its
        # balance move it is drift
        with pytest.raises(psycopg.Error) as e:
            c.execute("INSERT INTO fs.entry (wallet_id, amount, posted_at, value_date)"
                      " VALUES ('a', 50, '2026-01-01 06:00+00', '2026-01-10')")
            c.commit()
        assert e.value.sqlstate == "RC401", e.value
        c.rollback()
        # before the cutover: not counted, commits
        c.execute("INSERT INTO fs.entry (wallet_id, amount, posted_at, value_date)"
                  " VALUES ('a', 50, '2025-12-31 23:00+00', '2026-01-10')")
        c.commit()
    assert reconcile_in(ledger, "UTC", "ISO, MDY", "postgres")[0] == "synced"


#: main before filter values were kept in ISO form
BEFORE = subprocess.run(
    ["git", "-C", str(ROOT), "log", "--diff-filter=A", "--format=%H", "--",
     "functions/register/_filter_value_text.sql"], capture_output=True, text=True,
    check=True).stdout.split()[-1] + "^"


def test_upgrade_reads_the_filters_registered_before_once_more(
        empty_db: str, tmp_path: Path) -> None:
    old = tmp_path / "before"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "migrations",
                              "functions", "views", "triggers"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    assert run_cli("install", "--sql-dir", str(old), dsn=empty_db).returncode == 0
    run(empty_db, SCHEMA.replace("fs_writer", "fs_upgrader"), REGISTER)  # roles are shared
    assert rows(empty_db, "SELECT filters -> 0 -> 'values' AS v FROM _recon.ledger_source")[0][
        "v"] == ["2026-01-01 00:00"]
    up = run_cli("upgrade", dsn=empty_db, env={"PGTZ": "UTC", "PGDATESTYLE": "ISO, MDY"})
    assert up.returncode == 0, up.stderr
    assert "kept the filter values of 1 ledger source(s) in ISO form" in up.stdout, up.stdout
    assert [r["v"] for r in rows(
        empty_db, "SELECT jsonb_array_elements(filters) -> 'values' -> 0 AS v"
                  " FROM _recon.ledger_source")] == [
        "2026-01-01T00:00:00+00:00", "2026-01-02", "+0 months +1 days +43200 seconds"]
    run(empty_db, "UPDATE fs.wallet SET balance = balance + 50 WHERE id = 'a'")
    for session in SESSIONS:
        status, found, view = reconcile_in(empty_db, *session)
        assert status == "discrepancy" and [k for k, _ in found] == ["a"] and found == view
    again = run_cli("upgrade", dsn=empty_db)
    assert again.returncode == 0 and again.stdout.startswith("nothing to do"), again.stdout
