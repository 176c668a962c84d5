"""wallet-recon check --replica: the checks read on a real streaming hot standby (pg_basebackup -R
of a throwaway primary, both on 127.0.0.1), the run recorded on the primary. One primary and
standby pair for the module (tests/standby.py); seed 001 installed on the primary."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from standby import PrimaryAndStandby

from migrator import replica

from conftest import WALLET_RECON, load_fixture, rows, run, run_cli

DB = "recon_replica"
BALANCE_3 = "md5('s1-balance-3')::uuid"
BALANCE_4 = "md5('s1-balance-4')::uuid"
BALANCE_5 = "md5('s1-balance-5')::uuid"


@pytest.fixture(scope="module")
def pair() -> Iterator[PrimaryAndStandby]:
    with PrimaryAndStandby() as p:
        with psycopg.connect(p.primary_dsn(), autocommit=True) as c:
            c.execute(f"CREATE DATABASE {DB}")
        proc = run_cli("install", dsn=p.primary_dsn(DB))
        assert proc.returncode == 0, proc.stderr
        load_fixture(p.primary_dsn(DB), "seed001.sql", "seed001_register.sql")
        # the same wallets again with a label (the alias) and their own currency: the labels
        # and currencies the standby gives its findings are compared too
        run(p.primary_dsn(DB),
            "SELECT recon.register_wallet_source('s1_labelled', 'seed001.balance', 'id', "
            "ARRAY['available', 'on_hold'], '{\"currency\": \"asset_code\", \"label\": \"alias\"}')",
            "SELECT recon.register_ledger_source('s1_labelled_ops', 's1_labelled', "
            "'seed001.operation', 'balance_id', 'amount', '{\"operation\": \"type\", "
            "\"effects\": {\"ON_HOLD\": {\"available\": -1, \"on_hold\": 1}, "
            "\"RELEASE\": {\"available\": 1, \"on_hold\": -1}, \"DEBIT\": {\"on_hold\": -1}, "
            "\"CREDIT\": {\"available\": 1}}, \"order_by\": \"seq\"}')",
            "SELECT recon.register_check('s1_labelled_balance', 'balance', "
            "'{\"ledger\": \"s1_labelled_ops\"}')")
        p.caught_up(DB)
        yield p


@pytest.fixture
def primary(pair: PrimaryAndStandby) -> str:
    return pair.primary_dsn(DB)


@pytest.fixture
def standby(pair: PrimaryAndStandby) -> Iterator[str]:
    dsn = pair.standby_dsn(DB)
    yield dsn
    run(dsn, "SELECT pg_wal_replay_resume()")  # whatever a test left paused
    pair.caught_up(DB)


def check(primary: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("check", "--format", "json", *args, dsn=primary)


def runs(primary: str) -> int:
    return rows(primary, "SELECT count(*) AS n FROM _recon.run")[0]["n"]


def observed(primary: str, run_id: int) -> list[dict]:
    """What run run_id saw: its observations, with the finding each is of."""
    return rows(primary, """
        SELECT f.check_name, f.finding_key, o.stored, o.expected, o.difference, o.severity,
               o.currency, o.explained_by
        FROM _recon.observation AS o JOIN _recon.finding AS f ON f.id = o.finding_id
        WHERE o.run_id = %s ORDER BY 1, 2""", (run_id,))


def findings_now(primary: str) -> list[dict]:
    return rows(primary, "SELECT check_name, finding_key, wallet_key, severity, cause, details,"
                         " currency, explained_by FROM _recon.finding WHERE resolved_run IS NULL"
                         " ORDER BY 1, 2")


def comparable(summary: dict) -> dict:
    return {k: v for k, v in summary.items()
            if k not in ("run_id", "new", "resolved", "duration_ms", "replica", "runs")}


def primary_run(primary: str, mode: str = "full") -> dict:
    proc = check(primary, *(["--incremental"] if mode == "incremental" else []))
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["run"]


def test_findings_read_on_the_standby_equal_the_primarys(primary: str, standby: str) -> None:
    # drift committed while the standby is paused: the run must wait for it to be replayed
    run(standby, "SELECT pg_wal_replay_pause()")
    run(primary, f"UPDATE seed001.balance SET available = available + 70 WHERE id = {BALANCE_3}")
    on_primary = primary_run(primary)
    observed_on_primary = observed(primary, on_primary["run_id"])
    findings_on_primary = findings_now(primary)
    assert any(f["finding_key"].startswith(rows(primary, f"SELECT {BALANCE_3}::text AS k")[0]["k"])
               for f in observed_on_primary)
    before = runs(primary)

    proc = subprocess.Popen([WALLET_RECON, "check", "--format", "json", "--database", primary,
                             "--replica", standby, "--max-lag", "2min"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert proc.poll() is None, proc.communicate()  # waiting for the standby to replay
        # more drift, written while the run is in flight and committed only after it: neither
        # the run read on the standby nor the primary's run above may see it
        with psycopg.connect(primary) as inflight:
            inflight.execute("UPDATE seed001.balance SET available = available + 110"
                             f" WHERE id = {BALANCE_4}")
            run(standby, "SELECT pg_wal_replay_resume()")
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 1, err
            inflight.commit()
    finally:
        if proc.poll() is None:
            proc.kill()
    on_standby = json.loads(out)["run"]
    assert runs(primary) == before + 1
    assert comparable(on_standby) == comparable(on_primary)
    assert (on_standby["new"], on_standby["resolved"]) == (0, 0)
    assert observed(primary, on_standby["run_id"]) == observed_on_primary
    assert findings_now(primary) == findings_on_primary
    labelled = [f for f in findings_on_primary if f["check_name"] == "s1_labelled_balance"]
    assert labelled and all(f["details"].get("label", "").startswith("@customer-")
                            and f["currency"] for f in labelled)
    replica = on_standby["replica"]
    assert rows(primary, "SELECT %s::pg_lsn >= %s::pg_lsn AS ok",
                (replica["replayed_lsn"], replica["target_lsn"]))[0]["ok"]
    assert {r["mode"] for r in on_standby["runs"].values()} == {"full"}

    # the in-flight drift, committed now: the standby and the primary see it alike
    again = json.loads(check(primary, "--replica", standby).stdout)["run"]
    assert again["new"] >= 1
    after = primary_run(primary)
    assert (after["new"], after["resolved"]) == (0, 0)
    assert observed(primary, after["run_id"]) == observed(primary, again["run_id"])
    assert comparable(after) == comparable(again)


def new_entry(wallet: str, amount: int, tag: str) -> str:
    """An operation of ``amount`` CREDIT for ``wallet`` (seq from its identity), no balance move."""
    return ("INSERT INTO seed001.operation (id, transaction_id, balance_id, account_alias, type,"
            " amount, available_after, on_hold_after, balance_version_after, status, created_at)"
            f" SELECT md5('{tag}')::uuid, transaction_id, {wallet}, account_alias, 'CREDIT',"
            f" {amount}, 0, 0, 1, 'APPROVED', now() FROM seed001.operation"
            f" WHERE balance_id = {wallet} ORDER BY seq LIMIT 1")


def replica_run(primary: str, standby: str, *args: str) -> dict:
    proc = check(primary, "--replica", standby, "--incremental", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["run"]


BALANCED = ("s1_balance", "s1_labelled_balance")


def test_incremental_on_the_standby_equals_the_primarys(primary: str, standby: str) -> None:
    primary_run(primary)  # a full run: the watermark the increments start from
    # drift committed with replay paused: a stored balance moved, an entry without its balance
    run(standby, "SELECT pg_wal_replay_pause()")
    run(primary, f"UPDATE seed001.balance SET available = available + 70 WHERE id = {BALANCE_3}",
        new_entry(BALANCE_5, 9, "s1-inc-1"),
        # a new wallet: the state learns its key (the wallet count of the next runs)
        "INSERT INTO seed001.balance (id, organization_id, ledger_id, account_id, alias,"
        " asset_code, created_at, updated_at) SELECT md5('s1-balance-new')::uuid,"
        " organization_id, ledger_id, md5('s1-account-new')::uuid, '@customer-new', asset_code,"
        f" now(), now() FROM seed001.balance WHERE id = {BALANCE_3}")
    proc = subprocess.Popen([WALLET_RECON, "check", "--format", "json", "--database", primary,
                             "--replica", standby, "--incremental", "--max-lag", "2min"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.5)  # the target settles its bounds (1 s at most), then waits for replay
        assert proc.poll() is None, proc.communicate()
        # more drift, written while the run is in flight, committed after it: a stored
        # balance and an entry above the settled bound
        with psycopg.connect(primary) as inflight:
            inflight.execute("UPDATE seed001.balance SET available = available + 110"
                             f" WHERE id = {BALANCE_4}")
            inflight.execute(new_entry(BALANCE_4, 13, "s1-inc-2"))
            run(standby, "SELECT pg_wal_replay_resume()")
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 1, err
            on_standby = json.loads(out)["run"]
            # the primary's incremental run starts from the state the standby's run advanced
            on_primary = primary_run(primary, "incremental")
            inflight.rollback()
        # a full run on the primary, after the in-flight drift is gone again
        full = primary_run(primary)
    finally:
        if proc.poll() is None:
            proc.kill()
    for name in BALANCED:
        assert on_standby["runs"][name] == {"mode": "incremental"}, on_standby["runs"]
        assert on_primary["runs"][name]["mode"] == "incremental", on_primary["runs"]
    assert on_standby["runs"]["s1_holds"]["why_full"] == "only balance checks run incrementally"
    assert comparable(on_standby) == comparable(on_primary) == {**comparable(full),
                                                               "mode": "incremental"}
    seen = observed(primary, on_standby["run_id"])
    assert any(o["check_name"] == "s1_balance" for o in seen), seen
    assert seen == observed(primary, on_primary["run_id"]) == observed(primary, full["run_id"])
    # the in-flight drift, committed now, on top of a state a standby's run advanced twice
    primary_run(primary, "incremental")
    run(primary, f"UPDATE seed001.balance SET available = available + 110 WHERE id = {BALANCE_4}",
        new_entry(BALANCE_4, 13, "s1-inc-2"))
    pair_caught_up(primary, standby)
    first = replica_run(primary, standby)
    run(primary, f"UPDATE seed001.balance SET available = available - 110 WHERE id = {BALANCE_4}")
    second = replica_run(primary, standby)
    assert {first["runs"][n]["mode"] for n in BALANCED} == {"incremental"}
    assert {second["runs"][n]["mode"] for n in BALANCED} == {"incremental"}
    after = primary_run(primary)
    assert comparable(second) == {**comparable(after), "mode": "incremental"}
    assert observed(primary, second["run_id"]) == observed(primary, after["run_id"])
    assert observed(primary, first["run_id"]) != observed(primary, second["run_id"])


def pair_caught_up(primary: str, standby: str) -> None:
    lsn = rows(primary, "SELECT pg_current_wal_insert_lsn()::text AS l")[0]["l"]
    for _ in range(600):
        if rows(standby, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn AS ok", (lsn,))[0]["ok"]:
            return
        time.sleep(0.05)
    raise AssertionError("the standby did not catch up")


def paused(primary: str, standby: str) -> None:
    """Replay paused for sure: a pause takes effect at the next WAL record replayed."""
    run(standby, "SELECT pg_wal_replay_pause()")
    for _ in range(200):
        run(primary, "SELECT pg_current_xact_id()")  # a commit record to stop at
        if rows(standby, "SELECT pg_get_wal_replay_pause_state() AS s")[0]["s"] == "paused":
            return
        time.sleep(0.05)
    raise AssertionError("replay did not pause")


def test_incremental_on_the_standby_falls_back_to_full_and_says_why(
        primary: str, standby: str) -> None:
    base = primary_run(primary)
    # an old entry updated since the watermark: full, on the primary and on the standby alike
    run(primary, "UPDATE seed001.operation SET description = description || '.'"
                 " WHERE seq = (SELECT min(seq) FROM seed001.operation)")
    summary = replica_run(primary, standby)
    assert summary["mode"] == "incremental"
    for name in BALANCED:
        assert summary["runs"][name]["mode"] == "full"
        assert "updated or deleted since the watermark" in summary["runs"][name]["why_full"]
    assert comparable(summary) == {**comparable(base), "mode": "incremental"}
    assert observed(primary, summary["run_id"]) == observed(primary, base["run_id"])

    # a target of a full read (recon.replica_target) settles no increment: full, and why; a
    # result that claims an increment its target did not settle is refused
    with psycopg.connect(primary, autocommit=True) as c:
        plain = c.execute("SELECT recon.replica_target()::text").fetchone()[0]
    with psycopg.connect(standby, autocommit=True) as s:
        s.execute("SELECT recon.replica_wait(%s::jsonb, '1min')", (plain,))
        read = s.execute("SELECT recon.replica_findings(%s::jsonb, ARRAY['s1_balance'],"
                         " 'incremental')", (plain,)).fetchone()[0]
    assert "settled no increment" in read["runs"]["s1_balance"]["why_full"]
    read["runs"]["s1_balance"] = {"mode": "incremental"}
    read["increments"] = {"s1_balance": {"old_rows": 0, "written": 0, "new_keys": []}}
    refused(primary, read, "RC224")

    # the state the standby was sent moved on the primary before the standby judged it
    primary_run(primary)
    with psycopg.connect(primary, autocommit=True) as c:
        target = c.execute("SELECT recon.replica_increment_target("
                           "ARRAY['s1_balance'])::text").fetchone()[0]
    assert "new_bound" in json.loads(target)["increment"]["s1_balance"]
    with psycopg.connect(standby, autocommit=True) as s:
        s.execute("SELECT recon.replica_wait(%s::jsonb, '1min')", (target,))
        keys = s.execute("SELECT recon.replica_increment_keys(%s::jsonb)::text",
                         (target,)).fetchone()[0]
    run(primary, "SELECT recon.reconcile(ARRAY['s1_balance'], 'incremental')")
    with psycopg.connect(primary, autocommit=True) as c:
        states = c.execute("SELECT recon.replica_state(%s::jsonb, %s::jsonb)",
                           (target, keys)).fetchone()[0]
    assert "watermark moved" in states["s1_balance"]["why_full"]

    # the increment read on the standby no longer holds when the primary records it: RC227,
    # nothing recorded; the CLI then reads the check in full, and says why
    primary_run(primary, "incremental")
    pair_caught_up(primary, standby)
    with psycopg.connect(primary, autocommit=True) as c:
        target = c.execute("SELECT recon.replica_increment_target("
                           "ARRAY['s1_balance'])::text").fetchone()[0]
        result = replica.read_on_standby(standby, target, checks=["s1_balance"],
                                         incremental=True, max_lag="1min", primary=c)
    assert json.loads(result)["runs"]["s1_balance"] == {"mode": "incremental"}
    run(primary, "DELETE FROM seed001.operation WHERE id = md5('s1-inc-1')::uuid")
    exc = refused(primary, json.loads(result), "RC227")
    assert "updated or deleted" in exc.diag.message_detail
    again = replica_run(primary, standby, "--checks", "s1_balance")
    assert again["runs"]["s1_balance"]["mode"] == "full"
    assert "updated or deleted" in again["runs"]["s1_balance"]["why_full"]
    full = json.loads(check(primary, "--checks", "s1_balance").stdout)["run"]
    assert observed(primary, again["run_id"]) == observed(primary, full["run_id"])

    # the same through the CLI: an old entry updated after the target was taken, while the
    # standby is paused; the recording refuses (RC227), the CLI takes a new target once and
    # the standby reads the check in full, saying why
    primary_run(primary, "incremental")
    taken = rows(primary, "SELECT max(taken_at) AS t FROM _recon.replica_target")[0]["t"]
    paused(primary, standby)
    proc = subprocess.Popen([WALLET_RECON, "check", "--format", "json", "--database", primary,
                             "--replica", standby, "--incremental", "--checks", "s1_balance",
                             "--max-lag", "2min"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.5)  # the target is taken: the standby's replay is what it waits for
        assert proc.poll() is None, proc.communicate()
        run(primary, "UPDATE seed001.operation SET description = description || '.'"
                     " WHERE seq = (SELECT min(seq) FROM seed001.operation)")
        run(standby, "SELECT pg_wal_replay_resume()")
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, 1), err
    retried = json.loads(out)["run"]
    assert retried["runs"]["s1_balance"]["mode"] == "full"
    assert "updated or deleted" in retried["runs"]["s1_balance"]["why_full"]
    # two targets taken: the first, with an increment, left unused; the second used, full
    assert rows(primary, "SELECT increment -> 's1_balance' ? 'new_bound' AS inc,"
                         " run_id IS NOT NULL AS used FROM _recon.replica_target"
                         " WHERE taken_at > %s ORDER BY taken_at", (taken,)) == [
        {"inc": True, "used": False}, {"inc": False, "used": True}]


def test_a_lagging_standby_fails_the_run_with_its_lag(primary: str, standby: str) -> None:
    run(standby, "SELECT pg_wal_replay_pause()")
    run(primary, f"UPDATE seed001.balance SET updated_at = now() WHERE id = {BALANCE_3}")
    before = runs(primary)
    proc = check(primary, "--replica", standby, "--max-lag", "300ms")
    assert proc.returncode == 2
    assert "RC223" in proc.stderr and "lags past the bound" in proc.stderr
    assert runs(primary) == before
    with psycopg.connect(primary, autocommit=True) as c:
        target = c.execute("SELECT recon.replica_target()").fetchone()[0]
    with psycopg.connect(standby, autocommit=True) as s, pytest.raises(psycopg.Error) as exc:
        s.execute("SELECT recon.replica_wait(%s, '100ms')", (json.dumps(target),))
    assert exc.value.sqlstate == "RC223"
    assert "bytes behind after waiting" in exc.value.diag.message_detail
    assert "replay is paused" in exc.value.diag.message_detail


def test_not_a_standby(primary: str, standby: str) -> None:
    before = runs(primary)
    proc = check(primary, "--replica", primary)
    assert proc.returncode == 2
    assert "RC220" in proc.stderr and "not a standby" in proc.stderr and "hint:" in proc.stderr
    proc = check(standby, "--replica", standby)  # the standby named as the primary
    assert proc.returncode == 2 and "RC220" in proc.stderr
    assert runs(primary) == before


def test_a_standby_of_another_primary(primary: str, standby: str,
                                      make_db: Callable[..., str], template_db: str) -> None:
    other = make_db(template_db)  # the session's own cluster: another system identifier
    before = runs(primary)
    proc = check(primary, "--replica", other)
    assert proc.returncode == 2
    assert "RC221" in proc.stderr and "not a standby of this primary" in proc.stderr
    assert runs(primary) == before


def test_another_database_of_the_standby(pair: PrimaryAndStandby, primary: str,
                                        standby: str) -> None:
    """Tester finding adv5-09: a standby holds every database of its primary. Another one with
    the same registrations (a tenant per database, a restored copy) read for this one recorded
    its data as this database's run: a new drift here was recorded "synced"."""
    other = f"{DB}_other"
    with psycopg.connect(pair.primary_dsn(), autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {other}")
        c.execute(f"CREATE DATABASE {other}")
    assert run_cli("install", dsn=pair.primary_dsn(other)).returncode == 0
    load_fixture(pair.primary_dsn(other), "seed001.sql", "seed001_register.sql")
    pair.caught_up(other)
    before = runs(primary)
    proc = check(primary, "--replica", pair.standby_dsn(other))
    assert proc.returncode == 2, proc.stdout
    assert "RC221" in proc.stderr and "another database" in proc.stderr, proc.stderr
    assert "hint:" in proc.stderr, proc.stderr
    assert runs(primary) == before
    assert rows(pair.primary_dsn(other), "SELECT count(*) AS n FROM _recon.run")[0]["n"] == 0


def test_a_standby_at_another_toolkit_version(primary: str, standby: str) -> None:
    run(standby, "SELECT pg_wal_replay_pause()")
    version = rows(primary, "SELECT recon.version() AS v")[0]["v"]
    run(primary, "UPDATE _recon.migrator_meta SET toolkit_version = '99.0.0'")
    try:
        before = runs(primary)
        proc = check(primary, "--replica", standby)
        assert proc.returncode == 2
        assert "RC222" in proc.stderr and "version differs" in proc.stderr
        assert runs(primary) == before
    finally:
        run(primary, f"UPDATE _recon.migrator_meta SET toolkit_version = '{version}'")


def test_a_result_of_changed_checks_is_refused(primary: str, standby: str) -> None:
    with psycopg.connect(primary, autocommit=True) as c:
        target = c.execute("SELECT recon.replica_target()::text").fetchone()[0]
    with psycopg.connect(standby, autocommit=True) as s:
        s.execute("SELECT recon.replica_wait(%s::jsonb)", (target,))
        result = s.execute("SELECT recon.replica_findings(%s::jsonb, ARRAY['s1_balance'])",
                           (target,)).fetchone()[0]
    result["compiled"]["s1_balance"] = "0" * 32
    before = runs(primary)
    with psycopg.connect(primary, autocommit=True) as c, pytest.raises(psycopg.Error) as exc:
        c.execute("SELECT recon.record_replica_run(%s::jsonb)", (json.dumps(result),))
    assert exc.value.sqlstate == "RC224"
    assert runs(primary) == before


def test_fix_plans_on_the_primary_only(primary: str, standby: str) -> None:
    with psycopg.connect(standby, autocommit=True) as s, pytest.raises(psycopg.Error) as exc:
        s.execute("SELECT * FROM recon.fix()")
    assert exc.value.sqlstate == "RC220"
    assert "primary" in exc.value.diag.message_hint


def read_on_standby(primary: str, standby: str, valid_for: str = "1 hour") -> dict:
    """A target taken on the primary, and s1_balance read on the standby for it."""
    with psycopg.connect(primary, autocommit=True) as c:
        target = c.execute("SELECT recon.replica_target(%s)::text", (valid_for,)).fetchone()[0]
    with psycopg.connect(standby, autocommit=True) as s:
        s.execute("SELECT recon.replica_wait(%s::jsonb, '1min')", (target,))
        return s.execute("SELECT recon.replica_findings(%s::jsonb, ARRAY['s1_balance'])",
                         (target,)).fetchone()[0]


def record(primary: str, result: dict) -> dict:
    with psycopg.connect(primary, autocommit=True) as c:
        return c.execute("SELECT recon.record_replica_run(%s::jsonb)",
                         (json.dumps(result),)).fetchone()[0]


def refused(primary: str, result: dict, sqlstate: str) -> psycopg.Error:
    before = runs(primary)
    with pytest.raises(psycopg.Error) as exc:
        record(primary, result)
    assert exc.value.sqlstate == sqlstate, exc.value
    assert runs(primary) == before
    return exc.value


def open_on(primary: str, wallet: str) -> list[str]:
    return [r["finding_key"] for r in rows(
        primary, "SELECT finding_key FROM _recon.finding WHERE check_name = 's1_balance'"
                 f" AND wallet_key = {wallet}::text AND resolved_run IS NULL"
                 " AND dropped_at IS NULL ORDER BY 1")]


def test_a_forged_or_replayed_result_resolves_nothing_the_primary_still_finds(
        primary: str, standby: str) -> None:
    run(primary, f"UPDATE seed001.balance SET available = available + 33 WHERE id = {BALANCE_5}")
    try:
        assert check(primary, "--checks", "s1_balance").returncode == 1
        drifted = open_on(primary, BALANCE_5)
        assert drifted
        result = read_on_standby(primary, standby)
        wallet = rows(primary, f"SELECT {BALANCE_5}::text AS k")[0]["k"]
        hidden = [f for f in result["findings"] if f["wallet_key"] != wallet]
        assert len(hidden) < len(result["findings"])
        summary = record(primary, {**result, "findings": hidden})  # the drift hidden
        assert summary["resolved"] == 0
        assert summary["replica"]["kept_open"] == [
            {"check": "s1_balance", "finding_key": k} for k in drifted]
        assert open_on(primary, BALANCE_5) == drifted
        kept = observed(primary, summary["run_id"])
        assert {f["finding_key"] for f in kept} >= set(drifted)
        # the same result again: its target is used
        exc = refused(primary, {**result, "findings": hidden}, "RC225")
        assert "used already" in exc.diag.message_detail
        refused(primary, result, "RC225")
        # a target the primary never handed out, or one altered
        refused(primary, {**result, "target": {**result["target"],
                                               "token": "00000000-0000-4000-8000-000000000000"}},
                "RC225")
    finally:
        run(primary,
            f"UPDATE seed001.balance SET available = available - 33 WHERE id = {BALANCE_5}")
    # the drift repaired: an honest result resolves it, nothing kept open
    honest = record(primary, read_on_standby(primary, standby))
    assert honest["resolved"] >= len(drifted) and "kept_open" not in honest["replica"]
    assert open_on(primary, BALANCE_5) == []


def test_two_concurrent_submits_of_one_target_record_one_run(primary: str, standby: str) -> None:
    result = json.dumps(read_on_standby(primary, standby))
    before = runs(primary)
    errors: list[psycopg.Error] = []
    with psycopg.connect(primary) as first, psycopg.connect(primary) as second:
        first.execute("SELECT recon.record_replica_run(%s::jsonb)", (result,))  # not committed

        def submit() -> None:
            try:
                second.execute("SELECT recon.record_replica_run(%s::jsonb)", (result,))
                second.commit()
            except psycopg.Error as e:
                errors.append(e)
                second.rollback()

        racer = threading.Thread(target=submit)
        racer.start()
        time.sleep(0.5)
        assert racer.is_alive()  # waiting for the first's claim
        first.commit()
        racer.join(30)
    assert [e.sqlstate for e in errors] == ["RC225"]
    assert "used already" in errors[0].diag.message_detail
    assert runs(primary) == before + 1


def test_an_expired_or_superseded_target_is_refused(primary: str, standby: str) -> None:
    exc = refused(primary, read_on_standby(primary, standby, "1 millisecond"), "RC225")
    assert "expired" in exc.diag.message_detail
    stale = read_on_standby(primary, standby)
    assert check(primary, "--checks", "s1_balance").returncode in (0, 1)  # newer, recorded
    exc = refused(primary, stale, "RC226")
    assert "newer run" in exc.diag.message_primary
    # a target another role took
    theirs = read_on_standby(primary, standby)
    with psycopg.connect(primary, autocommit=True) as c, pytest.raises(psycopg.Error) as other:
        c.execute("SET ROLE recon_operator")
        c.execute("SELECT recon.record_replica_run(%s::jsonb)", (json.dumps(theirs),))
    assert other.value.sqlstate == "RC225" and "taken by" in other.value.diag.message_detail


def test_a_finding_of_no_wallet_is_rechecked_not_resolved_by_omission(
        primary: str, standby: str) -> None:
    # an entry of no wallet (NULL wallet key): the balance check's unknown_wallet finding '-'
    run(primary, "ALTER TABLE seed001.operation ALTER COLUMN balance_id DROP NOT NULL",
        "INSERT INTO seed001.operation (id, transaction_id, balance_id, account_alias, type,"
        " amount, available_after, on_hold_after, balance_version_after, status, created_at)"
        " SELECT md5('s1-orphan')::uuid, transaction_id, NULL, '@nobody', 'CREDIT', 7, 7, 0, 1,"
        " 'APPROVED', now() FROM seed001.operation ORDER BY seq LIMIT 1")
    try:
        assert check(primary, "--checks", "s1_balance").returncode == 1
        assert rows(primary, "SELECT finding_key, cause FROM _recon.finding"
                             " WHERE check_name = 's1_balance' AND wallet_key IS NULL"
                             " AND resolved_run IS NULL") == [
            {"finding_key": "-", "cause": "unknown_wallet"}]
        result = read_on_standby(primary, standby)
        assert [f["finding_key"] for f in result["findings"] if f["wallet_key"] is None] == ["-"]
        summary = record(primary, {**result, "findings": [
            f for f in result["findings"] if f["wallet_key"] is not None]})
        assert summary["resolved"] == 0
        assert summary["replica"]["kept_open"] == [{"check": "s1_balance", "finding_key": "-"}]
        assert len(rows(primary, "SELECT 1 FROM _recon.finding WHERE check_name = 's1_balance'"
                                 " AND finding_key = '-' AND resolved_run IS NULL")) == 1
        # recon.fix() re-checks it too: acknowledged, not skipped as "already consistent"
        steps = rows(primary, "SELECT status, note FROM recon.fix(checks => ARRAY['s1_balance'],"
                              " force_strategy => 'acknowledge') WHERE wallet_key IS NULL")
        assert [s["status"] for s in steps] == ["planned"], steps
    finally:
        run(primary, "DELETE FROM seed001.operation WHERE id = md5('s1-orphan')::uuid",
            "ALTER TABLE seed001.operation ALTER COLUMN balance_id SET NOT NULL")
    honest = record(primary, read_on_standby(primary, standby))
    assert honest["resolved"] >= 1 and "kept_open" not in honest["replica"]
