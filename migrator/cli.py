"""The ``wallet-recon`` command line. Thin: every decision is made in core or in SQL.

Exit codes: 0 fine; 1 problems found (status: the install is not current);
2 usage, connection or migration errors (one line on stderr; traceback with --verbose).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import traceback
from collections.abc import Sequence

from migrator import __version__
from migrator.connection import MigratorError
from migrator.core import Migrator, Status

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wallet-recon",
        description="Install, upgrade and inspect the wallet-recon toolkit in a PostgreSQL "
                    "database.",
        epilog="Exit codes: 0 fine, 1 problems found, 2 usage, connection or migration error.",
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

    p = sub.add_parser("demo", help="start a throwaway PostgreSQL (unless --database is given), "
                                    "install the toolkit and print its status")
    p.add_argument("--keep", action="store_true",
                   help="leave the throwaway server running and print its connection string")
    _common(p)
    return parser


def _database(args: argparse.Namespace, required: bool = True) -> str | None:
    dsn = args.database or os.environ.get("DATABASE_URL")
    if not dsn and required:
        raise UsageError("no database: pass --database URL or set DATABASE_URL")
    return dsn


class UsageError(Exception):
    pass


def _migrator(args: argparse.Namespace, dsn: str) -> Migrator:
    return Migrator(dsn, sql_dir=args.sql_dir, lock_timeout=args.lock_timeout,
                    lock_wait=args.lock_wait, echo=lambda line: print(line, flush=True))


def _confirm(args: argparse.Namespace, what: str) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"refusing to {what} without --yes (standard input is not a terminal)")
    answer = input(f"This will {what}. Type 'yes' to go on: ")
    if answer.strip().lower() != "yes":
        raise UsageError("cancelled")


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

    dsn = _database(args, required=False)
    cluster = None
    if not dsn:
        cluster = ThrowawayCluster()
        print(f"starting a throwaway PostgreSQL owned by {cluster.owner} ...", flush=True)
        dsn = cluster.start()
        print(f"started: {dsn}", flush=True)
    try:
        _migrator(args, dsn).upgrade()
        print()
        st = _migrator(args, dsn).status()
        print_status(st)
        if cluster and args.keep:
            print(f"\nthe server keeps running: psql '{dsn}'")
            print(f"stop it with: pg_ctl -D {cluster.datadir} stop "
                  f"(as {cluster.owner}), then remove {cluster.tmp}")
            cluster = None
        return EXIT_OK if st.current else EXIT_PROBLEMS
    finally:
        if cluster:
            cluster.stop()
            print("throwaway server stopped and removed")


def run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return _demo(args)
    dsn = _database(args)
    assert dsn is not None
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
        _confirm(args, f"roll back wallet-recon to {args.to or 'the previous migration'} "
                       "(the toolkit's own tables and history in those migrations are dropped)")
        done = m.rollback(args.to)
        if not (done["migrations"] or done["uninstalled"]):
            print("nothing to roll back")
        return EXIT_OK
    if args.command == "uninstall":
        m = _migrator(args, dsn)
        _confirm(args, "remove wallet-recon and all its history from this database")
        done = m.rollback("0")
        if not done["uninstalled"]:
            print("wallet-recon is not installed here: nothing to do")
        return EXIT_OK
    raise UsageError(f"unknown command {args.command}")


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return run(args)
    except UsageError as exc:
        print(f"wallet-recon: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except MigratorError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"wallet-recon: error: {exc}", file=sys.stderr)
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
