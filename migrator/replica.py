"""``wallet-recon check --replica URL``: the checks' read work on a streaming hot standby, the run
recorded on the primary (docs/SCALING.md, "Checks on a standby"); ``wallet-recon fix --replica
URL``: a dry-run repair plan made from the standby's reads ("Fix plans on a standby").

Thin, like ops: the SQL decides. On the primary recon.replica_target() takes its WAL position;
on the standby recon.replica_wait() waits until it has replayed it (at most --max-lag), then
recon.replica_findings() reads every check in a READ ONLY REPEATABLE READ transaction begun
after that (one snapshot for all checks); on the primary recon.record_replica_run() records the
run exactly as recon.reconcile() records its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import psycopg

from migrator import ops
from migrator.connection import MigratorError, connect, describe


def read_on_standby(replica_dsn: str, target: str, *, checks: Sequence[str] | None,
                    incremental: bool, max_lag: str,
                    primary: psycopg.Connection | None = None) -> str:
    """The standby's result (jsonb text) for ``target`` (recon.replica_target() as text, or
    recon.replica_increment_target(): then ``primary`` sends the state the increment needs)."""
    with connect(replica_dsn) as rconn:
        if rconn.execute("SELECT pg_catalog.to_regprocedure("
                         "'recon.replica_findings(jsonb, text[], text)') IS NULL").fetchone()[0]:
            raise MigratorError(
                f"{describe(replica_dsn)} has no recon.replica_findings(): --replica must name a "
                "streaming standby of the --database server, where wallet-recon is installed")
        waited = rconn.execute("SELECT recon.replica_wait(%s::jsonb, %s::interval)",
                               (target, max_lag)).fetchone()[0]
        # a new transaction, begun after the standby replayed the target: its one snapshot
        # holds everything the primary had committed then
        rconn.autocommit = False
        rconn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if incremental and primary is not None and "increment" in json.loads(target):
            # in that snapshot: the wallets to re-check; their state from the primary; then the
            # increment judged from it, in the same snapshot (docs/SCALING.md)
            keys = rconn.execute("SELECT recon.replica_increment_keys(%s::jsonb)::text",
                                 (target,)).fetchone()[0]
            target = primary.execute(
                "SELECT (%s::jsonb || jsonb_build_object('states',"
                " recon.replica_state(%s::jsonb, %s::jsonb)))::text",
                (target, target, keys)).fetchone()[0]
        result = rconn.execute(
            "SELECT (recon.replica_findings(%s::jsonb, %s, %s)"
            " || jsonb_build_object('waited_ms', %s::numeric))::text",
            (target, list(checks) if checks else None,
             "incremental" if incremental else "full", waited["waited_ms"])).fetchone()[0]
        rconn.rollback()  # nothing to keep: it read only
    return result


def check(conn: psycopg.Connection, replica_dsn: str, *, checks: Sequence[str] | None,
          incremental: bool, fail_on: str, max_lag: str) -> ops.CheckResult:
    """ops.check(), with the read work done on the standby at ``replica_dsn``."""
    names = list(checks) if checks else None
    for attempt in (1, 2):
        target = conn.execute(
            "SELECT recon.replica_increment_target(%s)::text" if incremental
            else "SELECT recon.replica_target()::text",
            (names,) if incremental else ()).fetchone()[0]
        result = read_on_standby(replica_dsn, target, checks=checks, incremental=incremental,
                                 max_lag=max_lag, primary=conn)
        try:
            summary = conn.execute("SELECT recon.record_replica_run(%s::jsonb)",
                                   (result,)).fetchone()[0]
            break
        except psycopg.Error as exc:
            # RC227: an increment no longer held when the primary recorded it (nothing was
            # recorded). Once more, from a new target: its settling finds the same reason, and
            # the standby reads that check in full, saying why.
            if exc.sqlstate != "RC227" or attempt == 2:
                raise
    findings = ops.open_findings(conn, summary["checks"])
    failing = sum(1 for f in findings if f["severity"] in ops.at_or_above(fail_on))
    return ops.CheckResult(summary, findings, failing, fail_on)


# A plan's reads are asked one at a time (each may depend on the last); a planner that keeps
# asking for new ones past this many is stopped rather than looping.
MAX_PLAN_READS = 10_000


def fix_plan(conn: psycopg.Connection, replica_dsn: str, options: ops.FixOptions, *,
             max_lag: str) -> tuple[list[dict], str]:
    """ops.fix()'s dry run, every read of the money tables made on the standby at
    ``replica_dsn`` in one snapshot: on the primary recon.replica_fix() plans and asks for
    the next read it lacks; on the standby recon.replica_fix_read() reads it; until the
    primary's planner has every read it makes. Returns what ops.fix() returns."""
    target = json.loads(conn.execute("SELECT recon.replica_target()::text").fetchone()[0])
    if not conn.autocommit:
        conn.commit()
    # the standby must hold the target itself (its secret signs the reads): wait for a position
    # after its commit, which is after the target's too
    target["lsn"] = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]
    target_text = json.dumps(target)
    with connect(replica_dsn) as rconn:
        if rconn.execute("SELECT pg_catalog.to_regprocedure("
                         "'recon.replica_fix_read(jsonb, jsonb)') IS NULL").fetchone()[0]:
            raise MigratorError(
                f"{describe(replica_dsn)} has no recon.replica_fix_read(): --replica must name "
                "a streaming standby of the --database server, where wallet-recon (the same "
                "version) is installed")
        rconn.execute("SELECT recon.replica_wait(%s::jsonb, %s::interval)",
                      (target_text, max_lag))
        # one snapshot for every read, begun after the standby replayed the target
        rconn.autocommit = False
        rconn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        reads = "{}"
        for _ in range(MAX_PLAN_READS):
            # jsonb stays text on the way (never Python floats): amounts and keys travel exact
            read, pretty, steps = conn.execute(
                "SELECT (x.r -> 'read')::text, jsonb_pretty(x.r -> 'steps'), x.r -> 'steps' "
                "FROM (SELECT recon.replica_fix(%s::jsonb, %s::jsonb, run_id => %s, "
                "checks => %s, wallets => %s, force_strategy => %s, wallet_limit => %s, "
                "run_limit => %s, wallet_limits => %s::jsonb, run_limits => %s::jsonb, "
                "findings => %s) AS r) AS x",
                (target_text, reads, *ops.fix_arguments(options))).fetchone()
            if read is None:
                break
            got = rconn.execute("SELECT recon.replica_fix_read(%s::jsonb, %s::jsonb)::text",
                                (target_text, read)).fetchone()[0]
            reads = conn.execute("SELECT (%s::jsonb || %s::jsonb)::text",
                                 (reads, got)).fetchone()[0]
        else:
            raise MigratorError(f"the plan asked the standby for more than {MAX_PLAN_READS} "
                                "reads: run wallet-recon fix on the primary")
        rconn.rollback()  # nothing to keep: it read only
    return steps, pretty
