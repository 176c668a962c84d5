"""One throwaway database for a benchmark: the block every bench script used to copy.

    with throwaway_database(args.database, "recon_bench", settings=SETTINGS) as dsn:
        build(dsn, ...)

With a server DSN (``--database``, a superuser connection) the database is made there and
dropped at the end. Without one, a throwaway PostgreSQL (migrator.cluster.ThrowawayCluster)
is started with the given postgresql.conf settings, and stopped and removed at the end. Either
way SIGTERM exits through the same clean-up. ``install=`` installs the toolkit from that SQL
tree with the CLI first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from migrator.cluster import ThrowawayCluster


@contextmanager
def throwaway_server(server_dsn: str | None, settings: dict[str, str] | None = None,
                     cluster: ThrowawayCluster | None = None) -> Iterator[str]:
    """A superuser DSN: server_dsn as given, or a throwaway cluster's (`cluster`, or one made
    with `settings`), stopped and removed on exit."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up under kill, too
    if server_dsn is not None:
        yield server_dsn
        return
    cluster = cluster or ThrowawayCluster(settings=settings)
    print(f"starting a throwaway PostgreSQL owned by {cluster.owner} ...", flush=True)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        print("throwaway server stopped and removed", flush=True)


@contextmanager
def throwaway_database(server_dsn: str | None, prefix: str,
                       settings: dict[str, str] | None = None,
                       cluster: ThrowawayCluster | None = None,
                       install: Path | None = None) -> Iterator[str]:
    """The DSN of a new database `<prefix>_<pid>` (see the module's docstring)."""
    dbname = f"{prefix}_{os.getpid()}"
    with throwaway_server(server_dsn, settings, cluster) as server:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {dbname}")
        dsn = make_conninfo(server, dbname=dbname)
        try:
            if install is not None:
                cli = Path(sys.executable).with_name("wallet-recon")
                subprocess.run([str(cli), "install", "--database", dsn, "--sql-dir",
                                str(install.resolve())], check=True, stdout=subprocess.DEVNULL)
            yield dsn
        finally:
            if server_dsn is not None:  # a throwaway cluster goes with everything in it
                with psycopg.connect(server, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
