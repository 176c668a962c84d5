"""``wallet-recon check --replica URL``: the checks' read work on a streaming hot standby, the run
recorded on the primary (docs/SCALING.md, "Checks on a standby").

Thin, like ops: the SQL decides. On the primary recon.replica_target() takes its WAL position;
on the standby recon.replica_wait() waits until it has replayed it (at most --max-lag), then
recon.replica_findings() reads every check in a READ ONLY REPEATABLE READ transaction begun
after that (one snapshot for all checks); on the primary recon.record_replica_run() records the
run exactly as recon.reconcile() records its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from migrator import ops
from migrator.connection import MigratorError, connect, describe


def read_on_standby(replica_dsn: str, target: str, *, checks: Sequence[str] | None,
                    incremental: bool, max_lag: str) -> str:
    """The standby's result (jsonb text) for ``target`` (recon.replica_target() as text)."""
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
    target = conn.execute("SELECT recon.replica_target()::text").fetchone()[0]
    result = read_on_standby(replica_dsn, target, checks=checks, incremental=incremental,
                             max_lag=max_lag)
    summary = conn.execute("SELECT recon.record_replica_run(%s::jsonb)", (result,)).fetchone()[0]
    findings = ops.open_findings(conn, summary["checks"])
    failing = sum(1 for f in findings if f["severity"] in ops.at_or_above(fail_on))
    return ops.CheckResult(summary, findings, failing, fail_on)
