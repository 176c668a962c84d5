"""The operator commands: check, report and fix. Thin: they call the SQL API and print.

Every decision (what is a finding, its severity, what a repair does) is made by the SQL
functions; this module only runs them, reads the public views and formats the result. JSON
documents are built by PostgreSQL (``jsonb``), so amounts keep every decimal they have.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads

SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
PROGRESS_PREFIX = "wallet-recon progress: "

#: recon.fix() statuses after which nothing is left for a person to do.
DONE_STATUSES = frozenset({"planned", "applied", "covered"})
#: The notes recon.fix() gives a skipped step that is done already (applied before, or no
#: longer found under the lock): nothing left for a person either.
ALREADY_DONE_NOTES = ("already applied", "already consistent")


def step_done(step: dict[str, Any]) -> bool:
    """True when a recon.fix() step leaves nothing for a person to do."""
    return step["status"] in DONE_STATUSES or (
        step["status"] == "skipped" and (step["note"] or "").startswith(ALREADY_DONE_NOTES))

FINDING_COLUMNS = ("finding_id", "check_name", "kind", "wallet_key", "severity", "cause",
                   "stored", "expected", "difference", "currency")


def at_or_above(severity: str) -> list[str]:
    """The severities at or above ``severity`` (one of SEVERITIES)."""
    return list(SEVERITIES[SEVERITIES.index(severity):])


def prepare(conn: psycopg.Connection) -> None:
    """JSON numbers as Decimal: a summary's amounts are exact."""
    set_json_loads(partial(json.loads, parse_float=Decimal), conn)


# -- check -------------------------------------------------------------------------------------

@dataclass
class CheckResult:
    summary: dict[str, Any]
    findings: list[dict[str, Any]]  # open findings of the checks that ran, most severe first
    failing: int  # how many of them are at or above fail_on
    fail_on: str


def reconcile(conn: psycopg.Connection, *, checks: Sequence[str] | None, incremental: bool,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """recon.reconcile() through recon.reconcile_run(); ``progress`` receives its per-check
    NOTICEs (the text after the prefix)."""
    def on_notice(diag: psycopg.errors.Diagnostic) -> None:
        text = diag.message_primary or ""
        if progress and text.startswith(PROGRESS_PREFIX):
            progress(text[len(PROGRESS_PREFIX):])

    if progress:
        conn.execute("SELECT set_config('wallet_recon.progress', 'on', FALSE)")
        conn.add_notice_handler(on_notice)
    try:
        # CALL, not SELECT: the run is committed first, so an interrupted one stays visible
        # (recon.reconcile_run; the connection must be in autocommit mode)
        row = conn.execute("CALL recon.reconcile_run(%s, %s, NULL)",
                           (list(checks) if checks else None,
                            "incremental" if incremental else "full")).fetchone()
    finally:
        if progress:
            conn.remove_notice_handler(on_notice)
            conn.execute("SELECT set_config('wallet_recon.progress', '', FALSE)")
    assert row is not None
    return row[0]


def open_findings(conn: psycopg.Connection, checks: Sequence[str]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT id AS finding_id, check_name, kind, wallet_key, severity, cause, stored, "
            "expected, difference, currency, first_seen_run, details ->> 'label' AS wallet_label "
            "FROM recon.open_findings "
            "WHERE check_name = ANY (%s)", (list(checks),))
        return sort_findings(cur.fetchall())


def sort_findings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most severe first, then by check and currency (unknown last), then the largest
    difference (unknown first)."""
    def key(r: dict[str, Any]) -> tuple:
        diff = r["difference"]
        currency = r.get("currency")
        return (-SEVERITIES.index(r["severity"]), r["check_name"], currency is None,
                currency or "",
                diff is not None and not diff.is_nan(),
                -abs(diff) if diff is not None and not diff.is_nan() else 0,
                r["finding_id"])
    return sorted(rows, key=key)


def check(conn: psycopg.Connection, *, checks: Sequence[str] | None, incremental: bool,
          fail_on: str, progress: Callable[[str], None] | None = None) -> CheckResult:
    summary = reconcile(conn, checks=checks, incremental=incremental, progress=progress)
    findings = open_findings(conn, summary["checks"])
    failing = sum(1 for f in findings if f["severity"] in at_or_above(fail_on))
    return CheckResult(summary, findings, failing, fail_on)


def check_json(conn: psycopg.Connection, result: CheckResult) -> str:
    """The check's JSON document, built by PostgreSQL (exact numbers)."""
    row = conn.execute(
        """
        SELECT jsonb_pretty(jsonb_build_object(
            'run', r.summary,
            'fail_on', %(fail_on)s::text,
            'failing', %(failing)s::integer,
            'exit_code', CASE WHEN %(failing)s::integer > 0 THEN 1 ELSE 0 END,
            'open_findings', COALESCE((
                SELECT jsonb_agg(to_jsonb(f) ORDER BY array_position(%(ids)s::bigint[], f.id))
                FROM recon.open_findings AS f WHERE f.id = ANY (%(ids)s::bigint[])), '[]')))
        FROM recon.runs AS r WHERE r.id = %(run)s
        """,
        {"fail_on": result.fail_on, "failing": result.failing, "run": result.summary["run_id"],
         "ids": [f["finding_id"] for f in result.findings]}).fetchone()
    assert row is not None
    return row[0]


# -- report ------------------------------------------------------------------------------------

@dataclass
class Report:
    run: dict[str, Any]  # a row of recon.runs
    findings: list[dict[str, Any]]  # recon.run_findings of that run, most severe first
    history: list[dict[str, Any]]  # recon.runs, newest first (by_currency: amounts per run)


def report(conn: psycopg.Connection, run_id: int | None, history: int) -> Report:
    with conn.cursor(row_factory=dict_row) as cur:
        if run_id is None:
            cur.execute("SELECT * FROM recon.runs WHERE finished_at IS NOT NULL "
                        "ORDER BY id DESC LIMIT 1")
        else:
            cur.execute("SELECT * FROM recon.runs WHERE id = %s", (run_id,))
        run = cur.fetchone()
        if run is None:
            raise LookupError("no reconcile run yet: run wallet-recon check first"
                              if run_id is None else
                              f"run {run_id} does not exist: list the runs with wallet-recon "
                              "report, or in psql SELECT id FROM recon.runs;")
        cur.execute("SELECT *, details ->> 'label' AS wallet_label FROM recon.run_findings "
                    "WHERE run_id = %s", (run["id"],))
        findings = sort_findings(cur.fetchall())
        cur.execute("SELECT * FROM recon.runs WHERE finished_at IS NOT NULL AND id <= %s "
                    "ORDER BY id DESC LIMIT %s", (run["id"], history))
        return Report(run, findings, cur.fetchall())


def report_json(conn: psycopg.Connection, run_id: int, history: int) -> str:
    row = conn.execute(
        """
        SELECT jsonb_pretty(jsonb_build_object(
            'run', (SELECT to_jsonb(r) FROM recon.runs AS r WHERE r.id = %(run)s),
            'findings', COALESCE((SELECT jsonb_agg(to_jsonb(f) - 'run_id')
                                  FROM recon.run_findings AS f WHERE f.run_id = %(run)s), '[]'),
            'history', COALESCE((
                SELECT jsonb_agg(to_jsonb(h) - 'summary' ORDER BY h.id DESC)
                FROM (SELECT * FROM recon.runs AS r
                      WHERE r.finished_at IS NOT NULL AND r.id <= %(run)s
                      ORDER BY r.id DESC LIMIT %(history)s) AS h), '[]')))
        """, {"run": run_id, "history": history}).fetchone()
    assert row is not None
    return row[0]


# -- fix ---------------------------------------------------------------------------------------

@dataclass
class FixOptions:
    run_id: int | None
    checks: Sequence[str] | None = None
    wallets: Sequence[str] | None = None
    strategy: str | None = None
    # per currency ("*": every currency not named), or one amount in each check's currency
    wallet_limit: Mapping[str, Decimal] | Decimal | None = None
    run_limit: Mapping[str, Decimal] | Decimal | None = None
    findings: Sequence[int] | None = None


def _amounts_json(amounts: Mapping[str, Decimal] | Decimal | None) -> str | None:
    """A map of amounts as JSON, the amounts as exact JSON numbers (never floats)."""
    if amounts is None or isinstance(amounts, Decimal):
        return None
    return "{" + ", ".join(f"{json.dumps(k)}: {format(v, 'f')}" for k, v in amounts.items()) + "}"


def fix_arguments(options: FixOptions) -> tuple[Any, ...]:
    """recon.fix()'s (and recon.replica_fix()'s) filters and limits, in this order: run_id,
    checks, wallets, force_strategy, wallet_limit, run_limit, wallet_limits, run_limits,
    findings."""
    return (options.run_id,
            list(options.checks) if options.checks else None,
            list(options.wallets) if options.wallets else None,
            options.strategy,
            options.wallet_limit if isinstance(options.wallet_limit, Decimal) else None,
            options.run_limit if isinstance(options.run_limit, Decimal) else None,
            _amounts_json(options.wallet_limit), _amounts_json(options.run_limit),
            list(options.findings) if options.findings else None)


def fix(conn: psycopg.Connection, options: FixOptions, *, apply: bool = False,
        ticket: str | None = None, reason: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """recon.fix(): the dry-run plan, or (apply) what was done: one dict per step, and the same
    as a JSON document built by PostgreSQL."""
    row = conn.execute(
        "SELECT jsonb_pretty(x.d), x.d FROM (SELECT COALESCE(jsonb_agg(to_jsonb(f) "
        "ORDER BY f.step), '[]') AS d FROM recon.fix(run_id => %s, dry_run => %s, ticket => %s, "
        "reason => %s, checks => %s, wallets => %s, force_strategy => %s, "
        "wallet_limit => %s, run_limit => %s, wallet_limits => %s::jsonb, "
        "run_limits => %s::jsonb, findings => %s) AS f) AS x",
        (options.run_id, not apply, ticket, reason,
         list(options.checks) if options.checks else None,
         list(options.wallets) if options.wallets else None,
         options.strategy,
         options.wallet_limit if isinstance(options.wallet_limit, Decimal) else None,
         options.run_limit if isinstance(options.run_limit, Decimal) else None,
         _amounts_json(options.wallet_limit), _amounts_json(options.run_limit),
         list(options.findings) if options.findings else None)).fetchone()
    assert row is not None
    return row[1], row[0]


def _step_key(step: dict[str, Any]) -> tuple:
    """What a step does to the books, for comparing a plan with what applying it did."""
    amount = step["amount"]
    return (step["finding_id"], step["check_name"], step["wallet_key"], step["strategy"],
            step["currency"], None if amount is None else Decimal(amount).normalize())


def steps_not_shown(shown: list[dict[str, Any]],
                    done: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps of an apply that wrote something (applied, covered) that the dry-run plan shown
    before did not promise (planned, covered) as the same step on the same amount."""
    promised = {_step_key(s) for s in shown if s["status"] in ("planned", "covered")}
    return [s for s in done if s["status"] in ("applied", "covered")
            and _step_key(s) not in promised]


def minor_units(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """recon.currencies: the decimal places each known currency is shown with."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT currency, minor_units FROM recon.currencies").fetchall()


def fix_id(conn: psycopg.Connection, repair_id: int) -> int | None:
    row = conn.execute("SELECT fix_id FROM recon.repairs WHERE id = %s", (repair_id,)).fetchone()
    return row[0] if row else None


def latest_run(conn: psycopg.Connection) -> int | None:
    row = conn.execute("SELECT max(id) FROM recon.runs WHERE finished_at IS NOT NULL").fetchone()
    return row[0] if row else None
