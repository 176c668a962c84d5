"""A throwaway primary and its streaming hot standby (pg_basebackup -R), both on 127.0.0.1.

The primary is a migrator.cluster.ThrowawayCluster (owned by the invoking user, or as root by an
unprivileged system user); the standby is a base backup of it, run by the same user, in the
primary's temporary directory, streaming from it with hot_standby_feedback on (so that a long
read on the standby is not cancelled by the primary's vacuum). Used by tests/test_replica.py and
bench/replica.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from migrator.cluster import SUPERUSER, ThrowawayCluster, _free_port


class PrimaryAndStandby:
    def __init__(self, settings: dict[str, str] | None = None,
                 standby_port: int | None = None) -> None:
        self.primary = ThrowawayCluster({"wal_level": "replica", "max_wal_senders": "4",
                                         **(settings or {})})
        self.standby_port: int | None = standby_port

    @property
    def standby_dir(self) -> Path:
        assert self.primary.tmp is not None
        return self.primary.tmp / "standby"

    def primary_dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.primary.port}/{dbname}"

    def standby_dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.standby_port}/{dbname}"

    def start(self) -> None:
        self.primary.start()
        try:
            self.primary._run("pg_basebackup", "-D", str(self.standby_dir), "-R", "-X", "stream",
                              "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", SUPERUSER,
                              "--no-sync")
            self.standby_port = self.standby_port or _free_port()
            with open(self.standby_dir / "postgresql.conf", "a", encoding="utf-8") as f:
                f.write(f"\n# the standby\nport = {self.standby_port}\n"
                        "hot_standby = on\nhot_standby_feedback = on\n")
            self.primary._run("pg_ctl", "-D", str(self.standby_dir), "-l",
                              str(self.standby_dir.parent / "standby.log"), "-w", "-t", "60",
                              "start")
        except BaseException:
            self.stop()
            raise

    def caught_up(self, dbname: str = "postgres", timeout: float = 60) -> None:
        """Wait until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary_dsn(dbname)) as p:  # committed on leaving
            # the insert position (asynchronous commits are visible before their WAL is
            # written), and a transaction id whose commit record after it gets it flushed
            lsn = p.execute("SELECT pg_current_wal_insert_lsn(), pg_current_xact_id()"
                            ).fetchone()[0]
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.standby_dsn(dbname), autocommit=True) as s:
            while not s.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                                (lsn,)).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the standby did not replay {lsn} in {timeout} s")
                time.sleep(0.05)

    def stop(self) -> None:
        try:
            if self.primary.tmp and (self.standby_dir / "postmaster.pid").exists():
                self.primary._run("pg_ctl", "-D", str(self.standby_dir), "-m", "immediate",
                                  "-w", "stop")
        finally:
            self.primary.stop()

    def __enter__(self) -> PrimaryAndStandby:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
