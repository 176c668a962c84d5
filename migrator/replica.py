"""``wallet-recon check --replica URL``: the checks' read work on a streaming hot standby, the run
recorded on the primary (docs/SCALING.md, "Checks on a standby").

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
