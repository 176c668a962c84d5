"""Install, upgrade, status, rollback and uninstall: the migrator's decisions.

One database, one migrator at a time: a session-level advisory lock serialises
migrators (yoyo's own lock row goes stale when a migrator is killed; we clear it
under the advisory lock and never wait on it). Every migration is applied and
recorded in one transaction on one connection, the repeatable layer in one more,
and a rollback in a single transaction, so a migrator killed at any point leaves
either the state before a step or the state after it, never half of one.
"""

from __future__ import annotations

import getpass
import json
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from packaging.version import InvalidVersion, Version
from psycopg import sql
from yoyo import read_migrations
from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import DatabaseURI
from yoyo.migrations import Migration, MigrationList

from migrator import __version__, repeatable
from migrator.connection import MigratorError, connect, first_line, parse_dsn, with_settings
from migrator.resources import (
    bootstrap_sql,
    checksum,
    repeatable_files,
    sql_root,
)

#: The pg_advisory_lock key every wallet-recon migrator takes on the database.
ADVISORY_LOCK_SQL = "SELECT pg_catalog.hashtextextended('wallet-recon migrator', 0)"
MIGRATION_TABLE = "_yoyo_migration"
APPLICATION_NAME = "wallet-recon-migrator"

Echo = Callable[[str], None]


@dataclass
class MigrationState:
    id: str
    state: str  # applied | pending | edited since applied | unknown to this package
    applied_at: str | None = None


@dataclass
class Status:
    database: str
    package_version: str
    installed_version: str | None
    migrations: list[MigrationState] = field(default_factory=list)
    objects: list[tuple[str, str]] = field(default_factory=list)  # (path, state)
    newer_than_package: str | None = None

    @property
    def current(self) -> bool:
        return (
            self.newer_than_package is None
            and all(m.state == "applied" for m in self.migrations)
            and all(s == repeatable.CURRENT for _, s in self.objects)
        )

    def as_json(self) -> dict:
        return {
            "database": self.database,
            "package_version": self.package_version,
            "installed_version": self.installed_version,
            "current": self.current,
            "newer_than_package": self.newer_than_package,
            "migrations": [m.__dict__ for m in self.migrations],
            "objects": [{"path": p, "state": s} for p, s in self.objects],
        }


class Migrator:
    def __init__(
        self,
        dsn: str,
        *,
        sql_dir: str | None = None,
        lock_timeout: str = "5s",
        lock_wait: str = "10min",
        echo: Echo = print,
    ) -> None:
        parse_dsn(dsn)  # a malformed DSN is a usage error before anything else
        self.dsn = dsn
        self.lock_timeout = _duration("--lock-timeout", lock_timeout)
        self.lock_wait = _duration("--lock-wait", lock_wait)
        self.echo = echo
        try:
            self.root = sql_root(sql_dir)
        except FileNotFoundError as exc:
            raise MigratorError(str(exc)) from None
        self.migrations: MigrationList = read_migrations(str(self.root / "migrations"))
        self.files = repeatable_files(self.root)
        self._check_package()

    # -- the package's own consistency ---------------------------------------------------
    def _check_package(self) -> None:
        for m in self.migrations:
            path = Path(m.path)
            if not path.with_name(f"{m.id}.rollback.sql").is_file():
                raise MigratorError(f"migration {m.id} has no {m.id}.rollback.sql")
            m.load()
            if not m.use_transactions:
                raise MigratorError(
                    f"migration {m.id} is marked non-transactional; wallet-recon applies every "
                    "migration in one transaction so that none is ever half-applied"
                )

    def _file_checksum(self, m: Migration) -> str:
        return checksum(Path(m.path).read_text(encoding="utf-8"))

    @property
    def head(self) -> str | None:
        return self.migrations[-1].id if self.migrations else None

    def resolve(self, target: str) -> str | None:
        """A migration id from an id or its numeric prefix; "0" means before the first."""
        if target in ("0", "zero", "base"):
            return None
        ids = [m.id for m in self.migrations]
        matches = [i for i in ids if i == target or i.split(".", 1)[0] == target]
        if len(matches) != 1:
            raise MigratorError(
                f"unknown migration {target!r}; known: {', '.join(ids) or 'none'} (or 0)"
            )
        return matches[0]

    # -- connections and locking ----------------------------------------------------------
    @contextmanager
    def _exclusive(self) -> Iterator[psycopg.Connection]:
        """Hold the migrators' advisory lock for the duration; yields that connection."""
        conn = connect(self.dsn, application_name=APPLICATION_NAME)
        try:
            key = conn.execute(ADVISORY_LOCK_SQL).fetchone()[0]
            if not conn.execute("SELECT pg_catalog.pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                self.echo("waiting for another wallet-recon migrator on this database ...")
                conn.execute("SELECT pg_catalog.set_config('lock_timeout', %s, false)",
                             (self.lock_wait,))
                try:
                    conn.execute("SELECT pg_catalog.pg_advisory_lock(%s)", (key,))
                except psycopg.errors.LockNotAvailable:
                    raise MigratorError(
                        f"another migrator held the lock for longer than --lock-wait "
                        f"({self.lock_wait}); nothing was changed"
                    ) from None
            conn.execute("SELECT pg_catalog.set_config('lock_timeout', %s, false)",
                         (self.lock_timeout,))
            yield conn
        finally:
            conn.close()  # closing the session releases the advisory lock

    def _backend(self) -> PostgresqlPsycopgBackend:
        params = parse_dsn(
            with_settings(self.dsn, lock_timeout=self.lock_timeout,
                          check_function_bodies="on")
        )
        params.setdefault("application_name", APPLICATION_NAME)
        core = {k: params.pop(k, None) for k in ("user", "password", "host", "port", "dbname")}
        params["schema"] = "_recon"  # yoyo's tables live in the private schema
        uri = DatabaseURI("postgresql+psycopg", core["user"], core["password"], core["host"],
                          core["port"], core["dbname"], params)
        try:
            backend = PostgresqlPsycopgBackend(uri, MIGRATION_TABLE)
        except psycopg.OperationalError as exc:
            raise MigratorError(f"cannot connect: {first_line(exc)}") from None
        backend.init_database()
        return backend

    # -- reading the database's state -----------------------------------------------------
    @staticmethod
    def _exists(cur: psycopg.Cursor, relation: str) -> bool:
        cur.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL", (relation,))
        return cur.fetchone()[0]

    def _applied(self, cur: psycopg.Cursor) -> list[tuple[str, str]]:
        if not self._exists(cur, f"_recon.{MIGRATION_TABLE}"):
            return []
        cur.execute(
            f"SELECT migration_id, applied_at_utc::text FROM _recon.{MIGRATION_TABLE}"
            " ORDER BY applied_at_utc, migration_id"
        )
        return cur.fetchall()

    def _recorded_checksums(self, cur: psycopg.Cursor) -> dict[str, str]:
        if not self._exists(cur, "_recon.migrator_migration"):
            return {}
        cur.execute("SELECT migration_id, checksum FROM _recon.migrator_migration")
        return dict(cur.fetchall())

    def _installed_version(self, cur: psycopg.Cursor) -> str | None:
        if not self._exists(cur, "_recon.migrator_meta"):
            return None
        cur.execute("SELECT toolkit_version FROM _recon.migrator_meta")
        row = cur.fetchone()
        return row[0] if row else None

    def _newer_than_package(self, cur: psycopg.Cursor) -> str | None:
        """Why the database is newer than this package, or None."""
        known = {m.id for m in self.migrations}
        unknown = [mid for mid, _ in self._applied(cur) if mid not in known]
        if unknown:
            return f"it has migrations this package does not know: {', '.join(unknown)}"
        installed = self._installed_version(cur)
        if installed is not None:
            try:
                newer = Version(installed) > Version(__version__)
            except InvalidVersion:
                newer = True
            if newer:
                return f"it was installed by wallet-recon {installed}"
        return None

    def _refuse_if_newer(self, cur: psycopg.Cursor) -> None:
        why = self._newer_than_package(cur)
        if why:
            raise MigratorError(
                f"refusing to run: the database is newer than this package ({__version__}): "
                f"{why}. Upgrade the wallet-recon package instead of downgrading the database"
            )

    # -- status ---------------------------------------------------------------------------
    def status(self) -> Status:
        from migrator.connection import describe

        with connect(self.dsn, application_name=APPLICATION_NAME) as conn, conn.cursor() as cur:
            applied = dict(self._applied(cur))
            sums = self._recorded_checksums(cur)
            st = Status(describe(self.dsn), __version__, self._installed_version(cur),
                        newer_than_package=self._newer_than_package(cur))
            for m in self.migrations:
                if m.id not in applied:
                    st.migrations.append(MigrationState(m.id, "pending"))
                elif m.id in sums and sums[m.id] != self._file_checksum(m):
                    st.migrations.append(
                        MigrationState(m.id, "edited since applied", applied[m.id]))
                else:
                    st.migrations.append(MigrationState(m.id, "applied", applied[m.id]))
            known = {m.id for m in self.migrations}
            st.migrations += [MigrationState(mid, "unknown to this package", at)
                              for mid, at in applied.items() if mid not in known]
            recs = repeatable.recorded(cur)
            live = repeatable.catalog(cur)
            for f in self.files:
                st.objects.append((f.path, repeatable.state(f, recs.get(f.path), live)))
            paths = {f.path for f in self.files}
            st.objects += [(p, repeatable.REMOVED) for p in recs if p not in paths]
            return st

    # -- install / upgrade ----------------------------------------------------------------
    def upgrade(self, target: str | None = None) -> dict:
        """Apply pending migrations (up to ``target``), then the repeatable layer at head.

        Returns what was done; an empty ``migrations`` and ``objects`` means nothing changed.
        """
        target_id = self.resolve(target) if target else self.head
        done: dict = {"migrations": [], "objects": [], "dropped": [], "restored": []}
        with self._exclusive() as lock_conn:
            cur = lock_conn.cursor()
            self._refuse_if_newer(cur)
            for mid, _ in self._applied(cur):
                m = next(m for m in self.migrations if m.id == mid)
                rec = self._recorded_checksums(cur).get(mid)
                if rec is not None and rec != self._file_checksum(m):
                    raise MigratorError(
                        f"migration {mid} was edited after it was applied (checksum differs); "
                        "applied migrations are never edited: add a new migration instead"
                    )
            action = "upgrade" if self._installed_version(cur) else "install"
            self._bootstrap(lock_conn)
            backend = self._backend()
            try:
                backend.ensure_internal_schema_updated()
                self._annotate_yoyo_tables(backend)
                applied = {mid for mid, _ in self._applied(backend.cursor())}
                ids = [m.id for m in self.migrations]
                stop = ids.index(target_id) + 1 if target_id else 0
                for m in self.migrations[:stop]:
                    if m.id in applied:
                        continue
                    self._step(f"migration {m.id}", lambda m=m: self._apply_migration(backend, m))
                    done["migrations"].append(m.id)
                    self.echo(f"applied migration {m.id}")
                at_head = target_id == self.head
                if at_head:
                    self._step("repeatable layer",
                               lambda: self._sync_repeatables(backend, done, action))
                elif done["migrations"]:
                    self._step("log", lambda: self._finish(backend, done, action))
                    self.echo("repeatable objects are applied only at head; "
                              f"database is at {target_id}")
            finally:
                backend.connection.close()
        return done

    def _step(self, what: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except psycopg.errors.LockNotAvailable:
            raise MigratorError(
                f"{what}: lock_timeout ({self.lock_timeout}) expired waiting for a lock held by "
                "another transaction; this step was rolled back, re-run when it has finished"
            ) from None
        except psycopg.Error as exc:
            detail = (exc.diag.message_detail or "").replace("\n", "; ")
            why = first_line(exc) + (f" ({detail})" if detail else "")
            code = f" [SQLSTATE {exc.sqlstate}]" if exc.sqlstate else ""
            raise MigratorError(f"{what} failed and was rolled back: {why}{code}") from exc

    def _bootstrap(self, conn: psycopg.Connection) -> None:
        text = bootstrap_sql()
        self._step("bootstrap", lambda: self._run_bootstrap(conn, text))

    def _run_bootstrap(self, conn: psycopg.Connection, text: str) -> None:
        with conn.transaction(), conn.cursor() as cur:
            # Only when the envelope is missing or incomplete: a second run changes nothing.
            cur.execute(
                "SELECT count(*) FROM unnest(%s::text[]) AS t(n) "
                "WHERE pg_catalog.to_regclass(t.n) IS NOT NULL",
                (["_recon.migrator_meta", "_recon.migrator_migration",
                  "_recon.migrator_object", "_recon.migrator_log"],),
            )
            if cur.fetchone()[0] < 4:
                cur.execute(text.encode("utf-8"))
            if self._exists(cur, "_recon.yoyo_lock"):
                cur.execute("DELETE FROM _recon.yoyo_lock RETURNING pid, ctime::text")
                for pid, ctime in cur.fetchall():
                    self.echo(f"cleared a stale yoyo lock left by process {pid} at {ctime}")

    def _annotate_yoyo_tables(self, backend: PostgresqlPsycopgBackend) -> None:
        notes = {
            "_yoyo_migration": "yoyo-migrations: the migrations applied to this database.",
            "_yoyo_log": "yoyo-migrations: log of applied and rolled back migrations.",
            "_yoyo_version": "yoyo-migrations: version of yoyo's own tables.",
            "yoyo_lock": "yoyo-migrations lock row; wallet-recon serialises with an advisory "
                         "lock and clears stale rows here.",
        }
        with backend.transaction():
            cur = backend.cursor()
            for table, note in notes.items():
                cur.execute(
                    "SELECT pg_catalog.obj_description(pg_catalog.to_regclass(%s), 'pg_class')",
                    (f"_recon.{table}",),
                )
                if cur.fetchone()[0] is None:
                    cur.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(
                        sql.Identifier("_recon", table), sql.Literal(note)))

    def _apply_migration(self, backend: PostgresqlPsycopgBackend, m: Migration) -> None:
        with backend.transaction():
            m.process_steps(backend, "apply")
            backend.log_migration(m, "apply")
            backend.mark_one(m, log=False)
            backend.cursor().execute(
                "INSERT INTO _recon.migrator_migration (migration_id, checksum) VALUES (%s, %s)"
                " ON CONFLICT (migration_id) DO UPDATE SET checksum = excluded.checksum,"
                " applied_at = pg_catalog.now()",
                (m.id, self._file_checksum(m)),
            )

    def _sync_repeatables(self, backend: PostgresqlPsycopgBackend, done: dict,
                          action: str) -> None:
        with backend.transaction():
            cur = backend.cursor()
            recs = repeatable.recorded(cur)
            paths = {f.path for f in self.files}
            gone = [r for p, r in recs.items() if p not in paths]
            if gone:
                done["dropped"] = repeatable.drop_all(cur, gone)
                for p in done["dropped"]:
                    self.echo(f"dropped {p} (no longer in the package)")
            for f in self.files:
                rec = recs.get(f.path)
                st = repeatable.state(f, rec, repeatable.catalog(cur))
                if st == repeatable.CURRENT:
                    continue
                try:
                    repeatable.apply(cur, f, rec)
                except ValueError as exc:
                    raise MigratorError(str(exc)) from None
                except psycopg.Error as exc:
                    raise type(exc)(f"{f.path}: {first_line(exc)}") from exc
                done["objects"].append(f.path)
                if st == repeatable.MODIFIED:
                    done["restored"].append(f.path)
                    self.echo(f"restored {f.path}: it had been modified in the database by hand")
                else:
                    self.echo(f"applied {f.path}" + ("" if rec is None else f" ({st})"))
            if done["migrations"] or done["objects"] or done["dropped"]:
                self._log(cur, done, action)

    def _finish(self, backend: PostgresqlPsycopgBackend, done: dict, action: str) -> None:
        with backend.transaction():
            self._log(backend.cursor(), done, action)

    @staticmethod
    def _log(cur: psycopg.Cursor, done: dict, action: str) -> None:
        cur.execute(
            "INSERT INTO _recon.migrator_meta AS m (toolkit_version) VALUES (%s)"
            " ON CONFLICT (singleton) DO UPDATE"
            " SET toolkit_version = excluded.toolkit_version, upgraded_at = pg_catalog.now()",
            (__version__,),
        )
        cur.execute(
            "INSERT INTO _recon.migrator_log"
            " (action, toolkit_version, client_user, client_host, detail)"
            " VALUES (%s, %s, %s, %s, %s)",
            (action, __version__, _os_user(), socket.gethostname(), json.dumps(done)),
        )

    # -- rollback / uninstall -------------------------------------------------------------
    def rollback(self, target: str | None = None) -> dict:
        """Roll back to ``target`` (default: one migration back); "0" removes everything.

        The whole rollback is one transaction: the repeatable layer is dropped (it may
        depend on what the migrations remove; ``upgrade`` puts it back), the migrations
        are rolled back newest first, and at zero the private schema goes too.
        """
        done: dict = {"migrations": [], "objects": [], "uninstalled": False}
        with self._exclusive() as lock_conn:
            cur = lock_conn.cursor()
            self._refuse_if_newer(cur)
            applied = [mid for mid, _ in self._applied(cur)]
            nothing_installed = not applied and not self._exists(cur, "_recon.migrator_meta")
            if nothing_installed and target in (None, "0", "zero", "base"):
                self._drop_leftover_envelope(lock_conn, done)
                return done
            order = [m.id for m in self.migrations if m.id in applied]
            if target is None:
                target_id = order[-2] if len(order) > 1 else None
            else:
                target_id = self.resolve(target)
                if target_id is not None and target_id not in order:
                    raise MigratorError(f"migration {target_id} is not applied")
            keep = order[: order.index(target_id) + 1] if target_id else []
            undo = [m for m in reversed(self.migrations) if m.id in applied and m.id not in keep]
            backend = self._backend()
            try:
                self._step("rollback", lambda: self._rollback_tx(backend, undo, target_id, done))
            finally:
                backend.connection.close()
        for p in done["objects"]:
            self.echo(f"dropped {p}")
        for mid in done["migrations"]:
            self.echo(f"rolled back migration {mid}")
        if done["uninstalled"]:
            self.echo("removed the private schema _recon: wallet-recon is uninstalled")
        return done

    def _rollback_tx(self, backend: PostgresqlPsycopgBackend, undo: list[Migration],
                     target_id: str | None, done: dict) -> None:
        with backend.transaction():
            cur = backend.cursor()
            if undo or target_id is None:
                done["objects"] = repeatable.drop_all(cur, list(repeatable.recorded(cur).values()))
            for m in undo:
                m.process_steps(backend, "rollback")
                backend.log_migration(m, "rollback")
                backend.unmark_one(m, log=False)
                cur.execute("DELETE FROM _recon.migrator_migration WHERE migration_id = %s",
                            (m.id,))
                done["migrations"].append(m.id)
            if target_id is None:
                self._drop_envelope(cur)
                done["uninstalled"] = True
            elif undo:
                self._log(cur, {"rolled_back": done["migrations"], "dropped": done["objects"]},
                          "rollback")

    @staticmethod
    def _drop_envelope(cur: psycopg.Cursor) -> None:
        # Only what the migrator and yoyo created, by name; RESTRICT on the schema so that
        # anything else found in it (the user's) stops the uninstall instead of going with it.
        for table in ("migrator_log", "migrator_object", "migrator_migration", "migrator_meta",
                      "_yoyo_log", "_yoyo_migration", "_yoyo_version", "yoyo_lock"):
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(
                sql.Identifier("_recon", table)))
        cur.execute("DROP SCHEMA IF EXISTS _recon RESTRICT")

    def _drop_leftover_envelope(self, conn: psycopg.Connection, done: dict) -> None:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regnamespace('_recon') IS NOT NULL")
            if cur.fetchone()[0]:
                self._step("uninstall", lambda: self._drop_envelope_tx(conn))
                done["uninstalled"] = True
                self.echo("removed the private schema _recon: wallet-recon is uninstalled")

    def _drop_envelope_tx(self, conn: psycopg.Connection) -> None:
        with conn.transaction(), conn.cursor() as cur:
            self._drop_envelope(cur)


def _duration(option: str, value: str) -> str:
    """A PostgreSQL duration (5s, 500ms, 2min, or plain milliseconds), else a usage error."""
    if not re.fullmatch(r"\d+(us|ms|s|min|h|d)?", value):
        raise MigratorError(f"invalid {option} {value!r}: use a duration such as 5s, 500ms or 2min")
    return value


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
