"""``wallet-recon demo``: the whole product on four seed applications, in about a minute.

The data lives in SQL files (``demo/*.sql``, shipped in the wheel): each creates one seed
application's schema (``recon_demo_<app>``) with realistic data, registers it through the public
API and injects the incidents its seed describes. This module only runs the files and then the
public API, printing what a newcomer should see: reconcile, the findings, the repair plan, the
repair, the backfill, reconcile again to zero, and the psql commands to explore it all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from migrator import ops, render
from migrator.connection import MigratorError, connect
from migrator.sqlfile import read_sql

APPS = (
    ("runbook", "seed 000, runbook 'Balance Discrepancy'"),
    ("holds", "seed 001, available/on-hold ledger with a pending state machine"),
    ("activations", "seed 002, wallet-activation synchronisation"),
    ("coins", "seed 003, coin wallets and a double-entry journal"),
)
SCHEMA_PREFIX = "recon_demo_"
SCHEMA_COMMENT = "created by wallet-recon demo"
TICKET = "DEMO-1"
REASON = "wallet-recon demo: repair the injected incidents"


def _first(values: dict[str, Any]) -> str:
    return ", ".join(render.amount(Decimal(str(v))) for v in values.values()) or "-"


def demo_dir(sql_root: Path) -> Path:
    return sql_root / "demo"


class Demo:
    def __init__(self, dsn: str, sql_root: Path, echo: Callable[[str], None] = print) -> None:
        self.dsn = dsn
        self.dir = demo_dir(sql_root)
        self.echo = echo
        self.started = time.monotonic()
        self.step_no = 0
        self.owns_schemas = False  # set once no foreign recon_demo_* schema is in the way
        self.checks: list[str] = []  # the demo's checks: a database's own are left alone

    # -- output --------------------------------------------------------------------------------
    def step(self, title: str) -> None:
        self.step_no += 1
        self.echo(f"\n== {self.step_no}. {title}")

    def show(self, text: str, indent: int = 3) -> None:
        for line in text.splitlines():
            self.echo((" " * indent + line).rstrip())

    # -- SQL -----------------------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection:
        conn = connect(self.dsn, application_name="wallet-recon demo")
        ops.prepare(conn)
        return conn

    def _file(self, conn: psycopg.Connection, name: str) -> None:
        path = self.dir / f"{name}.sql"
        if not path.is_file():
            raise MigratorError(f"the demo's data is missing: {path}")
        with conn.transaction():
            conn.execute(read_sql(path).encode())

    def existing_schemas(self, conn: psycopg.Connection) -> list[tuple[str, str | None]]:
        return conn.execute(
            "SELECT n.nspname, obj_description(n.oid, 'pg_namespace') FROM pg_namespace AS n "
            "WHERE starts_with(n.nspname, %s) ORDER BY 1", (SCHEMA_PREFIX,)).fetchall()

    def drop(self, conn: psycopg.Connection) -> bool:
        """Remove what an earlier demo created; refuse schemas that are not the demo's."""
        found = self.existing_schemas(conn)
        if not found:
            return False
        foreign = [name for name, comment in found
                   if not (comment or "").startswith(SCHEMA_COMMENT)]
        if foreign:
            raise MigratorError(
                f"schema {foreign[0]} exists and was not created by wallet-recon demo: "
                "refusing to touch it (use another database)")
        self._file(conn, "drop")
        return True

    # -- the flow ------------------------------------------------------------------------------
    def load(self, conn: psycopg.Connection) -> None:
        self.step("four applications side by side, each with the incidents of its seed")
        rows = []
        before = set(self._check_names(conn))  # the demo's checks are the ones it adds
        for app, what in APPS:
            t0 = time.monotonic()
            self._file(conn, app)
            sizes = conn.execute(
                """
                SELECT string_agg(format('%%s %%s', to_char(n, 'FM999,999,999'),
                                         split_part(s.table_name, '.', 2)), ', '
                                  ORDER BY s.source_type DESC, s.name)
                FROM recon.sources AS s
                CROSS JOIN LATERAL (
                    SELECT (xpath('/row/c/text()', query_to_xml(
                        format('SELECT count(*) AS c FROM %%s', s.table_name),
                        FALSE, TRUE, '')))[1]::text::bigint AS n) AS c
                WHERE starts_with(s.table_name, %s)
                """, (f"{SCHEMA_PREFIX}{app}.",)).fetchone()
            rows.append((f"{SCHEMA_PREFIX}{app}", what, sizes[0] if sizes else "",
                         f"{time.monotonic() - t0:.1f} s"))
        self.show(render.table(rows, ["schema", "application", "rows", "loaded in"]))
        self.checks = sorted(set(self._check_names(conn)) - before)
        counts = conn.execute(
            "SELECT count(*) FILTER (WHERE s.source_type = 'wallet'), "
            "count(*) FILTER (WHERE s.source_type = 'ledger'), "
            "(SELECT string_agg(DISTINCT c.kind, ', ') FROM recon.checks AS c "
            "WHERE c.name = ANY (%s)) FROM recon.sources AS s "
            "WHERE starts_with(s.table_name, %s)", (self.checks, SCHEMA_PREFIX)).fetchone()
        assert counts is not None
        self.show(f"registered through the public API: {counts[0]} wallet sources, "
                  f"{counts[1]} ledger sources, {len(self.checks)} checks ({counts[2]})")

    @staticmethod
    def _check_names(conn: psycopg.Connection) -> list[str]:
        return [r[0] for r in conn.execute("SELECT name FROM recon.checks").fetchall()]

    def reconcile(self, conn: psycopg.Connection, title: str, limit: int) -> ops.CheckResult:
        self.step(title)
        self.show("SELECT recon.reconcile(<the demo's checks>);")
        result = ops.check(conn, checks=self.checks, incremental=False, fail_on="MEDIUM")
        self.show(render.check_text(result, limit=limit, database=self.dsn))
        return result

    def fix(self, conn: psycopg.Connection, run_id: int, *, apply: bool,
            strategy: str | None = None, checks: list[str] | None = None,
            title: str) -> list[dict]:
        self.step(title)
        shown = [str(run_id)]
        if apply:
            shown += ["dry_run => false", f"ticket => '{TICKET}'", "reason => '...'"]
        if strategy:
            shown.append(f"force_strategy => '{strategy}'")
        if checks:
            shown.append(f"checks => '{{{','.join(checks)}}}'")
        args = ", ".join(shown)
        self.show(f"SELECT * FROM recon.fix({args});")
        steps, _ = ops.fix(conn, ops.FixOptions(run_id, checks=checks or self.checks,
                                                strategy=strategy),
                           apply=apply, ticket=TICKET if apply else None,
                           reason=REASON if apply else None)
        self.show(render.plan_summary(steps, applied=apply,
                                       minor_units=ops.minor_units(conn)))
        return steps

    def backfill(self, conn: psycopg.Connection) -> None:
        with conn.cursor(row_factory=dict_row) as cur:
            names = [r["name"] for r in cur.execute(
                "SELECT name FROM recon.checks WHERE kind = 'coverage' AND enabled "
                "AND name = ANY (%s) ORDER BY name", (self.checks,)).fetchall()]
        if not names:
            return
        self.step("backfill the missing wallets (seed 003): opening entries against the "
                  "offset wallet")
        for name in names:
            self.show(f"SELECT recon.backfill('{name}', dry_run => false, ticket => "
                      f"'{TICKET}', reason => '...');")
            with conn.cursor(row_factory=dict_row) as cur:
                report = cur.execute(
                    "SELECT recon.backfill(%s, dry_run => false, ticket => %s, reason => %s) "
                    "AS r", (name, TICKET, REASON)).fetchone()
            assert report is not None
            r = report["r"]
            before, after = r["before"], r["after"]
            opening = sum((Decimal(str(w["opening"])) for w in r["wallets"]
                           if w["status"] == "applied"), Decimal(0))
            self.show(f"created {r['created']} wallet(s) with opening entries of "
                      f"{render.amount(opening)} in all against offset wallet "
                      f"{r['offset_wallet']}", indent=5)
            left = [w for w in r["wallets"] if w["status"] != "applied"]
            if left:
                self.show(f"NOT backfilled: {len(left)} owner(s), e.g. {left[0]['owner']}: "
                          f"{left[0]['status']}, {left[0].get('note') or 'no note'}", indent=5)
            self.show(f"missing wallets {before['missing']} -> {after['missing']}; treasury "
                      f"drift {_first(before['treasury_drift'])} -> "
                      f"{_first(after['treasury_drift'])}", indent=5)

    def run(self) -> int:
        with self._connect() as conn:
            if self.drop(conn):
                self.echo("removed the schemas and registrations of an earlier demo run")
            self.owns_schemas = True
            self.load(conn)
            first = self.reconcile(conn, "reconcile: what drifted, how badly, and why", limit=3)
            run_a = first.summary["run_id"]
            self.fix(conn, run_a, apply=False, title="the repair plan (a dry run writes nothing)")
            self.fix(conn, run_a, apply=True, title=f"apply it under ticket {TICKET}: locked, "
                                                    "re-verified, audited")
            self.backfill(conn)
            second = self.reconcile(conn, "reconcile again: what is left has no automatic repair",
                                    limit=5)
            if second.findings:
                run_b = second.summary["run_id"]
                steps, _ = ops.fix(conn, ops.FixOptions(run_b, checks=self.checks))
                if any(s["status"] == "planned" for s in steps):
                    steps = self.fix(conn, run_b, apply=True,
                                     title="repair what the backfill unblocked")
                manual = sorted({s["check_name"] for s in steps
                                 if s["status"] not in ops.DONE_STATUSES})
                if manual:
                    self.fix(conn, run_b, apply=True, strategy="acknowledge", checks=manual,
                             title="what needs a person (chain breaks, a transfer that "
                                   "lost its debit): the demo acknowledges it, audited")
            last = self.reconcile(conn, "reconcile: back to zero", limit=5)
            self.explore(run_a)
            elapsed = time.monotonic() - self.started
            self.echo(f"\ndemo finished in {elapsed:.1f} s: "
                      f"{first.summary['findings']} findings, now "
                      f"{last.summary['findings']}")
            return 0 if last.summary["status"] == "synced" else 1

    def explore(self, run_a: int) -> None:
        self.step("explore the same data in psql")
        self.show(f"""\
psql '{self.dsn}'
  SELECT * FROM recon.checks;                       -- what is registered (\\dv recon.*)
  SELECT * FROM recon.runs;                         -- every reconcile, newest first
  SELECT * FROM recon.run_findings WHERE run_id = {run_a};
  SELECT * FROM recon.repairs;                      -- the audit of every repair
  SELECT * FROM recon.open_alerts;                  -- HIGH and CRITICAL runs
  SELECT * FROM recon.check_runbook_balance;        -- a check's live view
  SELECT * FROM recon.fix({run_a});                         -- the plan of the first run, now
  \\dn recon_demo_*                                  -- the four applications' schemas""")

    def cleanup(self) -> None:
        """Remove the demo's schemas and registrations (with --database, without --keep)."""
        if not self.owns_schemas:
            return
        with self._connect() as conn:
            self.drop(conn)
