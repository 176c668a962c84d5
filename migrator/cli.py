"""The ``wallet-recon`` command line. Thin: every decision is made in core or in SQL.

Exit codes: 0 fine; 1 problems found (status: the install is not current; check: open findings
at or above --fail-on; fix: steps left for a person) or cancelled at a confirmation prompt
(nothing changed); 2 usage, connection, SQL or migration errors (one line on stderr; traceback
with --verbose); 130 interrupted; 141 standard output closed early (``| head``: no traceback,
the shell's code for SIGPIPE).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import psycopg

from migrator import __version__, ops, render, replica
from migrator.connection import MigratorError, connect, describe, first_line, parse_dsn
from migrator.core import Migrator, Status

if TYPE_CHECKING:
    from migrator.cluster import ThrowawayCluster

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
EXIT_CANCELLED = 1  # not an error: the user said no, nothing changed
EXIT_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a command whose reader went away
STRATEGIES = ("resync", "adjust", "post_missing", "reverse", "move", "resolve", "acknowledge",
              "none")
EPILOG = ("Exit codes: 0 fine; 1 problems found, or cancelled at a confirmation prompt (nothing "
          "changed); 2 usage, connection, SQL or migration error (one line on stderr); "
          "130 interrupted; 141 standard output closed early (e.g. | head).")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", metavar="URL",
                        help="libpq URL or key=value string (default: $DATABASE_URL)")
    parser.add_argument("--lock-timeout", metavar="DURATION",
                        default=os.environ.get("WALLET_RECON_LOCK_TIMEOUT", "5s"),
                        help="lock_timeout for every DDL statement (default 5s, "
                             "$WALLET_RECON_LOCK_TIMEOUT)")
    parser.add_argument("--lock-wait", metavar="DURATION",
                        default=os.environ.get("WALLET_RECON_LOCK_WAIT", "10min"),
                        help="how long to wait for another migrator to finish (default 10min)")
    parser.add_argument("--sql-dir", metavar="DIR", default=os.environ.get("WALLET_RECON_SQL_DIR"),
                        help="use the SQL files in DIR instead of the installed ones "
                             "(development; $WALLET_RECON_SQL_DIR)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show tracebacks on errors")


def _connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", metavar="URL",
                        help="libpq URL or key=value string (default: $DATABASE_URL)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show tracebacks on errors")


def _names(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected one or more names separated by commas")
    return names


def _severity(value: str) -> str:
    if value.upper() not in ops.SEVERITIES:
        raise argparse.ArgumentTypeError(f"{value!r} is not one of {', '.join(ops.SEVERITIES)}")
    return value.upper()


#: The largest id PostgreSQL's bigint holds (runs and findings are numbered with it).
BIGINT_MAX = 2**63 - 1
#: What a limit may be: below 10^1000 with at most 1000 decimal places (PostgreSQL's
#: numeric(1000, s) holds it; far past any amount, and room for the 10 x default run limit).
LIMIT_DIGITS = 1000
LIMIT_RANGE = f"a limit is an amount from 0 to below 1e{LIMIT_DIGITS}, with at most " \
              f"{LIMIT_DIGITS} decimal places"


def _decimal(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise argparse.ArgumentTypeError(f"{value!r} is not a finite number")
    return number


def _limit_amount(value: str, text: str) -> Decimal:
    """One amount of --wallet-limit / --run-limit: a finite number in the range recon.fix()
    can compute with (a larger one was PostgreSQL's raw 22003)."""
    number = _decimal(text)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r}: a limit is an amount >= 0")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if (number and number.adjusted() >= LIMIT_DIGITS) or -exponent > LIMIT_DIGITS:
        raise argparse.ArgumentTypeError(f"{value!r} is out of range: {LIMIT_RANGE}")
    return number


def _limits(value: str) -> dict[str, Decimal] | Decimal:
    """--wallet-limit / --run-limit: CUR=AMOUNT,... ("*" for every currency not named), or
    AMOUNT alone: one amount in each check's own currency (recon.fix's wallet_limit)."""
    if "=" not in value:
        return _limit_amount(value, value.strip())
    limits: dict[str, Decimal] = {}
    for part in value.split(","):
        currency, sep, amount = part.strip().rpartition("=")
        currency = currency.strip() if sep else "*"
        if not currency or currency in limits:
            raise argparse.ArgumentTypeError(
                f"{value!r}: each limit is CUR=AMOUNT, each currency once "
                "(e.g. USD=500,JPY=50000, or *=100 for every currency not named)")
        limits[currency] = _limit_amount(value, amount.strip())
    return limits


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is negative")
    if number > BIGINT_MAX:
        raise argparse.ArgumentTypeError(f"{value!r} is out of range: at most {BIGINT_MAX}")
    return number


def _run_id(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a run number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a run number")
    if number > BIGINT_MAX:
        raise argparse.ArgumentTypeError(
            f"{value!r} is out of range: runs are numbered 1 to {BIGINT_MAX}")
    return number


def _finding_id(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a finding id (an id of recon.open_findings)") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a finding id")
    if number > BIGINT_MAX:
        raise argparse.ArgumentTypeError(
            f"{value!r} is out of range: finding ids run from 1 to {BIGINT_MAX}")
    return number


#: --max-lag's units, as PostgreSQL's interval reads them, in microseconds.
LAG_UNITS = {"us": 1, "ms": 1000, "s": 10**6, "sec": 10**6, "second": 10**6, "seconds": 10**6,
             "min": 60 * 10**6, "minute": 60 * 10**6, "minutes": 60 * 10**6,
             "h": 3600 * 10**6, "hour": 3600 * 10**6, "hours": 3600 * 10**6,
             "d": 86400 * 10**6, "day": 86400 * 10**6, "days": 86400 * 10**6}
MAX_LAG_MAX = "24h"


def _max_lag(value: str) -> str:
    """--max-lag: a duration (30s, 500ms, 2min, 1 minute; a bare number is seconds, as
    PostgreSQL reads an interval) from 0 to 24h, given to recon.replica_wait() as an exact
    interval (a bad one was PostgreSQL's raw 22007 / 22015)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", value.lower())
    unit = (match.group(2) or "s") if match else ""
    if not match or unit not in LAG_UNITS:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a duration: use e.g. 30s, 500ms, 2min or 1h")
    micros = Decimal(match.group(1)) * LAG_UNITS[unit]
    if micros > 24 * LAG_UNITS["h"]:
        raise argparse.ArgumentTypeError(
            f"{value!r} is out of range: the lag bound is from 0 to {MAX_LAG_MAX}")
    return f"{micros.to_integral_value()} microseconds"


def _replica_url(value: str) -> str:
    """--replica: a URL; an empty one (an unset variable: --replica "$REPLICA_URL") is refused
    instead of running the check on the primary."""
    if not value.strip():
        raise argparse.ArgumentTypeError(
            "empty URL (an unset variable?): name the standby, or leave --replica out to run "
            "the check on the --database server")
    return value


def _add_operator_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="reconcile now and print the open findings; exit 1 on drift",
        description="Run recon.reconcile() (every enabled check, or --checks) and print the open "
                    "findings of the checks it ran, grouped by severity and check. Exit 1 when "
                    "one at or above --fail-on is open, 0 otherwise, 2 on errors.")
    p.add_argument("--incremental", action="store_true",
                   help="re-check only what changed since the last clean watermark")
    p.add_argument("--checks", type=_names, metavar="NAME[,NAME...]",
                   help="run only these checks (default: every enabled check)")
    p.add_argument("--fail-on", type=_severity, default="MEDIUM", metavar="SEVERITY",
                   help="exit 1 when a finding at or above this is open: LOW, MEDIUM (default), "
                        "HIGH, CRITICAL")
    p.add_argument("--format", choices=("table", "json", "markdown"), default="table",
                   help="table (default; progress on a terminal), json for machines, markdown "
                        "for tickets")
    p.add_argument("--limit", type=_count, default=20, metavar="N",
                   help="findings shown per severity and check (default 20, 0: all; json: all)")
    p.add_argument("--replica", metavar="URL", type=_replica_url,
                   help="read the checks on this streaming hot standby of --database, and record "
                        "the run on --database, the primary (docs/SCALING.md)")
    p.add_argument("--max-lag", metavar="DURATION", default="1min", type=_max_lag,
                   help="with --replica: how long to wait for the standby to replay the "
                        "primary's position at the start; past it the run fails, RC223 "
                        f"(default 1min, at most {MAX_LAG_MAX})")
    _connection_options(p)

    p = sub.add_parser(
        "report", help="a run's summary and findings, recent runs, or an HTML report",
        description="Print a run's summary, its findings (with their state now) and the recent "
                    "runs; --format html writes a self-contained page with charts.")
    p.add_argument("run", nargs="?", type=_run_id, metavar="RUN",
                   help="run number (default: the latest finished run)")
    p.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")
    p.add_argument("--output", "-o", metavar="FILE",
                   help="write to FILE instead of standard output")
    p.add_argument("--history", type=_count, default=20, metavar="N",
                   help="how many recent runs (default 20)")
    p.add_argument("--limit", type=_count, default=20, metavar="N",
                   help="findings shown per severity and check in text and markdown "
                        "(default 20, 0: all)")
    _connection_options(p)

    p = sub.add_parser(
        "fix", help="print the repair plan of a run; --apply applies it",
        description="Print recon.fix()'s dry-run plan for the open findings of RUN (default: "
                    "the latest run). With --apply --ticket T --reason R it asks for "
                    "confirmation (on a terminal; --yes otherwise), applies the plan and prints "
                    "what was done with the audit ids (recon.repairs). Exit 0 when every step "
                    "is planned, applied, covered or already done, 1 when some are left for a "
                    "person (manual, or skipped for another reason), 2 on errors.")
    p.add_argument("run", nargs="?", type=_run_id, metavar="RUN",
                   help="run number (default: the latest run)")
    p.add_argument("--apply", action="store_true", help="apply the plan (default: dry run)")
    p.add_argument("--ticket", help="ticket recorded in the audit (needed with --apply)")
    p.add_argument("--reason", help="reason recorded in the audit (needed with --apply)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--checks", type=_names, metavar="NAME[,NAME...]",
                   help="only findings of these checks")
    p.add_argument("--wallets", type=_names, metavar="KEY[,KEY...]",
                   help="only findings of these wallets")
    p.add_argument("--finding", type=_finding_id, action="append", dest="findings", metavar="ID",
                   help="only this finding (recon.open_findings.id); repeat for more")
    p.add_argument("--strategy", choices=STRATEGIES, metavar="STRATEGY",
                   help=f"force one strategy: {', '.join(STRATEGIES)}")
    p.add_argument("--wallet-limit", type=_limits, metavar="CUR=AMOUNT[,...]",
                   help="refuse a wallet's repair above this amount of its currency, e.g. "
                        "USD=500,JPY=50000; '*=AMOUNT' for every currency not named; AMOUNT "
                        "alone is in each check's own currency (default: the check's policy, "
                        "else its low_limit; a currency with no limit is not repaired "
                        "automatically)")
    p.add_argument("--run-limit", type=_limits, metavar="CUR=AMOUNT[,...]",
                   help="refuse the whole call above this total per currency, same form "
                        "(default: the check's policy, else 10 x the wallet limit)")
    p.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    p.add_argument("--replica", metavar="URL",
                   help="make the plan from reads on this streaming hot standby of --database "
                        "(the money tables are read there, in one snapshot); --apply still "
                        "applies on --database, re-reading and re-verifying there, and rolls "
                        "back if that differs from the plan shown (docs/SCALING.md)")
    p.add_argument("--max-lag", metavar="DURATION", default="1min",
                   help="with --replica: how long to wait for the standby to replay the "
                        "primary's position at the start; past it the plan fails, RC223 "
                        "(default 1min)")
    _connection_options(p)


def _add_advise_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "advise", help="the index each balance check would read in wallet order (never created)",
        description="Print recon.advise(): per balance check, the index on its ledger's wallet "
                    "key INCLUDE (the columns it reads) as a CREATE INDEX CONCURRENTLY statement "
                    "to run yourself, or the index already in place, with estimates of its size "
                    "and gain from the planner's statistics. The toolkit never creates indexes.")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _connection_options(p)


def _advise(args: argparse.Namespace, dsn: str) -> int:
    with _open(dsn) as conn:
        advice = json.loads(conn.execute("SELECT recon.advise()::text").fetchone()[0])
    if args.format == "json":
        print(json.dumps(advice, indent=2))
        return EXIT_OK
    for a in advice:
        print(f"{a['check']} (ledger {a['ledger']}, table {a['table']}): {a['advice']}")
        if a.get("statement"):
            print(f"  {a['statement']}")
        e = a.get("estimates")
        if e:
            print(f"  estimates (planner statistics, not measured): {e['entries']:,.0f} entries, "
                  f"{e['wallets']:,.0f} wallets; table {e['table_bytes'] / 2**20:,.1f} MB, "
                  f"index ~{e['index_bytes'] / 2**20:,.1f} MB"
                  + (f", ~{e['read_ratio']}x fewer bytes read" if e.get("read_ratio") else ""))
    if not advice:
        print("no balance check registered: nothing to advise")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr (the usage is under --help), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wallet-recon",
        description="Install, upgrade and inspect the wallet-recon toolkit in a PostgreSQL "
                    "database.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"wallet-recon {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, text in (("install", "install the toolkit (same as upgrade)"),
                       ("upgrade", "apply pending migrations and changed repeatable objects")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--to", metavar="VERSION",
                       help="stop after this migration (id or number); repeatable objects are "
                            "applied only at head")
        _common(p)

    p = sub.add_parser("status", help="applied and pending migrations, state of every object",
                       description="Exit 0 when everything is current, 1 otherwise.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _common(p)

    p = sub.add_parser("rollback", help="roll back migrations (default: the last one)")
    p.add_argument("--to", metavar="VERSION",
                   help="roll back to this migration (id or number); 0 removes everything")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    _common(p)

    p = sub.add_parser("uninstall", help="remove everything the toolkit installed")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    _common(p)

    _add_operator_commands(sub)
    _add_advise_command(sub)

    p = sub.add_parser(
        "demo", help="the whole product on four seed applications, on a throwaway PostgreSQL",
        description="Start a throwaway PostgreSQL (unless --database is given), install the "
                    "toolkit, create four seed applications' schemas (recon_demo_*) with "
                    "realistic data and their incidents, register them, reconcile, show the "
                    "findings, dry-run and apply the repairs, reconcile again to zero, and print "
                    "the psql commands to explore it. Without --keep everything it created is "
                    "removed at the end, also on Ctrl-C (with --database: its schemas and "
                    "registrations; the toolkit stays installed). Exit 0 when the last "
                    "reconcile is synced.")
    p.add_argument("--keep", action="store_true",
                   help="keep the throwaway server running (or, with --database, the demo's "
                        "schemas) and print the connection string")
    _common(p)
    return parser


#: libpq's variables that name a database by themselves (without a URL).
PG_TARGET_VARIABLES = ("PGSERVICE", "PGHOST", "PGHOSTADDR", "PGDATABASE")


def _database(args: argparse.Namespace, required: bool = True) -> str | None:
    dsn = args.database or os.environ.get("DATABASE_URL")
    if not dsn and required and any(os.environ.get(v) for v in PG_TARGET_VARIABLES):
        dsn = "postgresql://"  # libpq's own variables, as psql would read them
    if not dsn and required:
        raise UsageError("no database: pass --database URL or set DATABASE_URL (or libpq's "
                         "PGHOST, PGDATABASE, PGSERVICE...)")
    if dsn:
        parse_dsn(dsn)  # a malformed string: one line with an example, before anything else
    return dsn


class UsageError(Exception):
    pass


class Cancelled(Exception):
    """The user answered something else than yes: not an error, nothing changed."""


def _open(dsn: str) -> psycopg.Connection:
    """A connection for check, report and fix, to a database where the toolkit is installed."""
    conn = connect(dsn)
    if conn.execute("SELECT pg_catalog.to_regnamespace('recon') IS NULL").fetchone()[0]:
        where = describe(dsn, conn)
        conn.close()
        target = render.shell_dsn(dsn) or "URL"  # pasteable, unless it holds a password
        raise UsageError(f"wallet-recon is not installed in {where} (no schema recon): "
                         f"run wallet-recon install --database {target} first")
    ops.prepare(conn)
    return conn


def bin_dir() -> Path:
    """The directory to put on PATH for ``wallet-recon``: the checkout's .venv/bin when it runs
    from one, else the directory of the running executable."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / ".venv" / "bin" / "wallet-recon").exists():
        return root / ".venv" / "bin"
    exe = Path(sys.argv[0])
    if exe.name == "wallet-recon":
        return exe.absolute().parent
    return Path(sys.executable).absolute().parent


def path_line() -> str:
    return f'export PATH="{bin_dir()}:$PATH"'


def _migrator(args: argparse.Namespace, dsn: str) -> Migrator:
    return Migrator(dsn, sql_dir=args.sql_dir, lock_timeout=args.lock_timeout,
                    lock_wait=args.lock_wait, echo=lambda line: print(line, flush=True))


def _confirm(args: argparse.Namespace, what: str) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"refusing to {what} without --yes (standard input is not a terminal)")
    print(f"This will {what}. Type 'yes' to go on: ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    if answer.strip().lower() != "yes":
        raise Cancelled()


def print_status(st: Status) -> None:
    print(f"database           {st.database}")
    print(f"package version    {st.package_version}")
    print(f"installed version  {st.installed_version or '(not installed)'}")
    if st.newer_than_package:
        print(f"WARNING: the database is newer than this package: {st.newer_than_package}")
    print("\nmigrations")
    for m in st.migrations or []:
        print(f"  {m.state:<24} {m.id:<32} {m.applied_at or ''}".rstrip())
    print("\nrepeatable objects")
    for path, state in st.objects:
        print(f"  {state:<24} {path}")
    for g in st.guards_off:
        if g["table"] is None:  # an event trigger (block mode): docs/GUARDS.md
            print(f"WARNING: {g['kind']} guard on {g['target']}: {g['state']}: "
                  f"{g['trigger']}: DDL moving rows into or out of its tables is not refused")
            continue
        print(f"WARNING: {g['kind']} guard on {g['target']}: trigger {g['trigger']} on "
              f"{g['table']} is {g['state']}: the guard does not run there")
    for check, lost in st.checks_lost:
        print(f"WARNING: check {check} lost {lost} (a DROP ... CASCADE of a table it reads): "
              f"reconcile refuses to run it (RC204); SELECT recon.drop_check('{check}'), then "
              "register it again over the tables as they are now")
    print(f"\n{'current' if st.current else 'NOT current: run wallet-recon upgrade'}")


def _upgrade(args: argparse.Namespace, dsn: str) -> int:
    m = _migrator(args, dsn)
    done = m.upgrade(args.to)
    if not (done["migrations"] or done["objects"] or done["dropped"]):
        print(f"nothing to do: {m.head or 'no migrations'} applied, "
              f"{len(m.files)} repeatable objects current")
    else:
        print(f"done: {len(done['migrations'])} migrations applied, "
              f"{len(done['objects'])} repeatable objects applied")
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from migrator.cluster import ThrowawayCluster
    from migrator.demo import Demo
    from migrator.resources import sql_root

    dsn = _database(args, required=False)
    cluster = None
    demo: Demo | None = None
    print("wallet-recon demo: the whole product on four seed applications", flush=True)
    if not dsn:
        cluster = ThrowawayCluster()
        print(f"\nstarting a throwaway PostgreSQL owned by {cluster.owner} ...", flush=True)
        dsn = cluster.start()
        print(f"started: {dsn}", flush=True)
    try:
        t0 = time.monotonic()
        lines: list[str] = []
        migrator = Migrator(dsn, sql_dir=args.sql_dir, lock_timeout=args.lock_timeout,
                            lock_wait=args.lock_wait, echo=lines.append)
        done = migrator.upgrade()
        print(f"installed wallet-recon {__version__} into {describe(dsn)}: "
              f"{len(done['migrations'])} migration(s) and {len(done['objects'])} repeatable "
              f"object(s) applied ({len(migrator.files)} in all) in {time.monotonic() - t0:.1f} s",
              flush=True)
        demo = Demo(dsn, sql_root(args.sql_dir), echo=lambda line: print(line, flush=True))
        code = demo.run()
        if args.keep:
            demo = None  # keep the data
            if cluster:
                print(f"\nthe server keeps running: psql '{dsn}'")
                print(f"stop it with: {stop_command(cluster)}")
                cluster = None
            else:
                print("\nthe demo's schemas stay: run the demo again to replace them, or "
                      "without --keep to remove them at the end")
        print(f"\nto run wallet-recon by name in this shell, put it on PATH:\n{path_line()}")
        return code
    finally:
        if cluster:
            cluster.stop()
            print("\nthrowaway server stopped and removed", flush=True)
        elif demo is not None and demo.owns_schemas:
            demo.cleanup()
            print("\nremoved the demo's schemas and registrations (--keep keeps them)",
                  flush=True)


def stop_command(cluster: ThrowawayCluster) -> str:
    """The shell command that stops a kept throwaway server and removes its directory, as it
    works when pasted: pg_ctl by its full path (Debian keeps it off PATH), run as the cluster's
    owner (su, with a shell given: the wallet-recon system user has none) when root started it."""
    stop = shlex.join([str(cluster.bindir / "pg_ctl"), "-D", str(cluster.datadir), "-w", "stop"])
    if os.geteuid() == 0:
        stop = f"su -s /bin/sh {shlex.quote(cluster.owner)} -c {shlex.quote(stop)}"
    return f"{stop} && rm -rf {shlex.quote(str(cluster.tmp))}"


def _progress_printer() -> object:
    """Per-check progress on a terminal (stderr), one line each."""
    def show(text: str) -> None:
        print(f"  checking {text}", file=sys.stderr, flush=True)
    return show


def _write(args: argparse.Namespace, text: str) -> None:
    if getattr(args, "output", None):
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)


def _check(args: argparse.Namespace, dsn: str) -> int:
    progress = (_progress_printer() if args.format != "json" and sys.stderr.isatty() else None)
    with _open(dsn) as conn:
        if args.replica:
            result = replica.check(conn, args.replica, checks=args.checks,
                                   incremental=args.incremental, fail_on=args.fail_on,
                                   max_lag=args.max_lag)
        else:
            result = ops.check(conn, checks=args.checks, incremental=args.incremental,
                               fail_on=args.fail_on, progress=progress)  # type: ignore[arg-type]
        if args.format == "json":
            print(ops.check_json(conn, result))
        else:
            print(render.visible(render.check_text(result, limit=args.limit,
                                                   markdown=args.format == "markdown",
                                                   database=dsn if args.database else ""),
                                 keep="\n"))
    return EXIT_PROBLEMS if result.failing else EXIT_OK


def _report(args: argparse.Namespace, dsn: str) -> int:
    with _open(dsn) as conn:
        try:
            rep = ops.report(conn, args.run, args.history)
        except LookupError as exc:
            raise UsageError(str(exc)) from None
        if args.format == "json":
            _write(args, ops.report_json(conn, rep.run["id"], args.history))
        elif args.format == "html":
            _write(args, render.report_html(
                rep, database=describe(dsn, conn),
                generated_at=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")))
        else:
            _write(args, render.visible(render.report_text(rep, limit=args.limit,
                                                           markdown=args.format == "markdown"),
                                        keep="\n"))
    return EXIT_OK


def _fix(args: argparse.Namespace, dsn: str) -> int:
    if args.apply and not (args.ticket and args.reason):
        raise UsageError("--apply needs --ticket and --reason (they go into the audit)")
    markdown = args.format == "markdown"
    with _open(dsn) as conn:
        # the run shown is the run applied: a reconcile finishing while the operator reads the
        # plan must not change what --apply repairs
        run = args.run or ops.latest_run(conn)
        options = ops.FixOptions(run, args.checks, args.wallets, args.strategy,
                                 args.wallet_limit, args.run_limit, args.findings)
        if args.replica:
            # read on the standby; an --apply below reads and re-verifies on the primary
            steps, document = replica.fix_plan(conn, args.replica, options,
                                               max_lag=args.max_lag)
        else:
            steps, document = ops.fix(conn, options)
        if not args.apply or args.format != "json":
            if args.format == "json":
                print(document)
            else:
                print(f"repair plan for run {run if run is not None else '(none yet)'} "
                      f"(dry run{', read on the standby' if args.replica else ''}):\n")
                print(render.visible(render.fix_text(steps, applied=False, markdown=markdown,
                                                     minor_units=ops.minor_units(conn)),
                                     keep="\n"))
                _limits_hint(steps)
        if args.apply and steps:
            planned = sum(1 for s in steps if s["status"] == "planned")
            if not planned:
                print("\nnothing to apply: no step is planned", file=sys.stderr)
            else:
                _confirm(args, f"apply {planned} repair step(s) to {describe(dsn, conn)} "
                               f"under ticket {args.ticket}")
                steps, document = _apply_shown(conn, options, steps, args)
                if args.format == "json":
                    print(document)
                else:
                    print("\napplied:\n")
                    print(render.visible(render.fix_text(steps, applied=True, markdown=markdown,
                                                         minor_units=ops.minor_units(conn)),
                                         keep="\n"))
                    _limits_hint(steps)
                    ids = [s["repair_id"] for s in steps if s.get("repair_id")]
                    if ids:
                        print(f"\naudit ids: {', '.join(map(str, ids))}; in psql: SELECT * "
                              f"FROM recon.repairs WHERE fix_id = {ops.fix_id(conn, ids[0])};")
    return EXIT_OK if all(ops.step_done(s) for s in steps) else EXIT_PROBLEMS


def _apply_shown(conn: psycopg.Connection, options: ops.FixOptions, shown: list[dict],
                 args: argparse.Namespace) -> tuple[list[dict], str]:
    """Apply exactly the plan shown: only its findings, in one transaction that is rolled back
    when a step would apply what the plan did not show (the books moved in between)."""
    ids = [s["finding_id"] for s in shown]
    if None not in ids:
        options = replace(options, findings=sorted(set(ids)))
    with conn.transaction():
        steps, document = ops.fix(conn, options, apply=True, ticket=args.ticket,
                                  reason=args.reason)
        unshown = ops.steps_not_shown(shown, steps)
        if unshown:
            raise PlanChanged(unshown)
    return steps, document


class PlanChanged(UsageError):
    """The apply would have done what the confirmed plan did not show; rolled back."""

    def __init__(self, steps: list[dict]) -> None:
        first = steps[0]
        super().__init__(
            f"the plan changed after it was shown ({len(steps)} step(s) differ, e.g. "
            f"{first['strategy']} {first['amount']} on wallet {first['wallet_key']} of check "
            f"{first['check_name']}): nothing applied; run wallet-recon fix again to see the "
            "plan as it is now")


LIMIT_NOTES = ("above the auto-fix limit", "over the run limit")


def _limits_hint(steps: list[dict]) -> None:
    """Steps skipped for a limit: name both options, whichever limit stopped them."""
    n = sum(1 for s in steps if s["status"] == "skipped"
            and (s.get("note") or "").startswith(LIMIT_NOTES))
    if n:
        print(f"\n{n} step(s) skipped for the auto-fix limits: raise them with --wallet-limit "
              "CUR=AMOUNT (per wallet) and --run-limit CUR=AMOUNT (per call; default 10 x the "
              "wallet limit), e.g. --wallet-limit USD=500,JPY=50000; '*=AMOUNT' applies to every "
              "currency not named")


def run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return _demo(args)
    dsn = _database(args)
    assert dsn is not None
    if args.command == "check":
        return _check(args, dsn)
    if args.command == "report":
        return _report(args, dsn)
    if args.command == "fix":
        return _fix(args, dsn)
    if args.command == "advise":
        return _advise(args, dsn)
    if args.command in ("install", "upgrade"):
        return _upgrade(args, dsn)
    if args.command == "status":
        st = _migrator(args, dsn).status()
        if args.json:
            print(json.dumps(st.as_json(), indent=2))
        else:
            print_status(st)
        return EXIT_OK if st.current else EXIT_PROBLEMS
    if args.command == "rollback":
        m = _migrator(args, dsn)
        if args.to is None or m.resolve(args.to) != m.head:  # the repeatable layer goes
            m.refuse_guards(m.enabled_guards(), "roll back")
        _confirm(args, f"roll back wallet-recon in {describe(dsn)} to "
                       f"{args.to or 'the previous migration'} (the toolkit's own tables and "
                       "history in those migrations are dropped)")
        done = m.rollback(args.to)
        if not (done["migrations"] or done["uninstalled"]):
            print("nothing to roll back")
        return EXIT_OK
    if args.command == "uninstall":
        m = _migrator(args, dsn)
        m.refuse_guards(m.enabled_guards(), "uninstall")
        _confirm(args, f"remove wallet-recon and all its history from {describe(dsn)}")
        done = m.rollback("0")
        if not done["uninstalled"]:
            print("wallet-recon is not installed here: nothing to do")
        return EXIT_OK
    raise UsageError(f"unknown command {args.command}")


def sql_error(exc: psycopg.Error) -> str:
    """A server error as one line: [SQLSTATE] message (hint)."""
    diag = exc.diag
    text = (diag.message_primary or first_line(exc)).replace("\n", " ")
    if diag.message_hint:
        text += f" (hint: {diag.message_hint.replace(chr(10), ' ')})"
    elif exc.sqlstate == "42501":
        # PostgreSQL's own "permission denied" names the object, not the grant to ask for
        text += (" (hint: this role lacks a grant the command needs: check and report need"
                 " recon_auditor, fix recon_operator, status, install, upgrade and uninstall"
                 " the toolkit's owner; see docs/SECURITY.md, e.g. GRANT recon_auditor TO"
                 " <role>)")
    return f"{exc.sqlstate or type(exc).__name__}: {text}"


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    # a terminal or pipe that cannot show a character (PYTHONIOENCODING=ascii, LANG=C) shows an
    # escape instead: a run already recorded is never reported as a failed command
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        # `wallet-recon fix | head`: the reader went away. Not an error: no traceback, and
        # nothing more to write (standard output now goes nowhere, so that the interpreter's
        # own flush at exit cannot fail again).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE
    except Cancelled:
        print("wallet-recon: cancelled: nothing changed", file=sys.stderr)
        return EXIT_CANCELLED
    except UsageError as exc:
        print(f"wallet-recon: error: {render.visible(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except MigratorError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"wallet-recon: error: {render.visible(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except psycopg.Error as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"wallet-recon: error: {render.visible(sql_error(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("wallet-recon: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # anything unexpected: still one clear line
        if args.verbose:
            traceback.print_exc()
        print(f"wallet-recon: error: {type(exc).__name__}: {exc}".splitlines()[0],
              file=sys.stderr)
        return EXIT_ERROR
