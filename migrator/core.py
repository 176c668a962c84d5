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
from migrator.connection import (
    CLIENT_ENCODING,
    MigratorError,
    connect,
    connect_error,
    describe,
    parse_dsn,
    pg_error,
    with_settings,
)
from migrator.resources import (
    RepeatableFile,
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
    # enabled guards' triggers that are disabled or missing (_recon.guards_off, issue 18)
    guards_off: list[dict] = field(default_factory=list)
    # checks whose view or source table a DROP ... CASCADE took (reconcile: RC204): (check, what)
    checks_lost: list[tuple[str, str]] = field(default_factory=list)

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
            "guards_off": self.guards_off,
            "checks_lost": [{"check": c, "lost": w} for c, w in self.checks_lost],
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
    def _exclusive(self) -> Iterator[PostgresqlPsycopgBackend]:
        """One session that holds the migrators' advisory lock and does all the work.

        Lock and work share the session, so the lock cannot go away while work is under way:
        if the session dies, its open transaction dies with it. A migrator killed with
        kill -9 leaves a session that finishes its statement, aborts and releases the lock.
        """
        backend = self._connect_backend()
        conn = backend.connection
        try:
            self._refuse_standby(conn)
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
            yield backend
        finally:
            conn.close()  # ending the session releases the advisory lock

    def _refuse_standby(self, conn: psycopg.Connection) -> None:
        """RC220 (docs/SQLSTATES.md), as `fix` and `check` say it, before anything is written:
        a hot standby (a replica URL given as --database) can write nothing, and its first
        write would be PostgreSQL's 25006 after a bootstrap half-way."""
        if conn.execute("SELECT pg_catalog.pg_is_in_recovery()").fetchone()[0]:
            raise MigratorError(
                f"RC220: {describe(self.dsn, conn)} is a standby (in recovery): the toolkit is "
                "installed, upgraded and removed on the primary only, and reaches its standbys "
                "through the primary's WAL; nothing was changed (hint: point --database at the "
                "primary; checks can read on a standby: wallet-recon check --database <primary> "
                "--replica <standby>)")

    def _connect_backend(self) -> PostgresqlPsycopgBackend:
        # Session settings: DDL never queues longer than lock_timeout; no idle timeout may end
        # the session (and with it the lock) while the migrator is between statements.
        params = parse_dsn(
            with_settings(self.dsn, lock_timeout=self.lock_timeout, check_function_bodies="on",
                          idle_session_timeout="0", idle_in_transaction_session_timeout="0")
        )
        params.setdefault("application_name", APPLICATION_NAME)
        params["client_encoding"] = CLIENT_ENCODING
        core = {k: params.pop(k, None) for k in ("user", "password", "host", "port", "dbname")}
        params["schema"] = "_recon"  # yoyo's tables live in the private schema
        uri = DatabaseURI("postgresql+psycopg", core["user"], core["password"], core["host"],
                          core["port"], core["dbname"], params)
        try:
            # Connects and sets search_path; yoyo's own set-up (init_database) comes later,
            # once the envelope exists and the lock is held.
            return PostgresqlPsycopgBackend(uri, MIGRATION_TABLE)
        except psycopg.OperationalError as exc:
            raise MigratorError(connect_error(self.dsn, exc)) from None

    def _yoyo_ready(self, backend: PostgresqlPsycopgBackend) -> None:
        backend.init_database()
        backend.ensure_internal_schema_updated()
        self._annotate_yoyo_tables(backend)

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
        with connect(self.dsn, application_name=APPLICATION_NAME) as conn, conn.cursor() as cur:
            applied = dict(self._applied(cur))
            sums = self._recorded_checksums(cur)
            st = Status(describe(self.dsn, conn), __version__, self._installed_version(cur),
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
            recs = repeatable.by_file(repeatable.recorded(cur), self.files)
            live = repeatable.catalog(cur)
            for f in self.files:
                st.objects.append((f.path, repeatable.state(f, recs.get(f.path), live)))
            paths = {f.path for f in self.files}
            st.objects += [(p, repeatable.REMOVED) for p in recs if p not in paths]
            cur.execute("SELECT to_regprocedure('_recon.guards_off()') IS NOT NULL")
            if cur.fetchone()[0]:
                cur.execute("SELECT _recon.guards_off()")
                st.guards_off = cur.fetchone()[0]
            if self._exists(cur, "_recon.check_def"):
                st.checks_lost = self._checks_lost(cur)
            return st

    @staticmethod
    def _checks_lost(cur: psycopg.Cursor) -> list[tuple[str, str]]:
        """Registered checks whose view, or whose ledger or wallet source's table, is gone (a
        DROP ... CASCADE of your table took it): what reconcile refuses with RC204. An upgrade
        does not bring them back, so they do not make the database "not current"."""
        cur.execute("""
            SELECT c.name, CASE WHEN to_regclass(format('recon.%I', c.view_name)) IS NULL
                                THEN format('its view recon.%s', c.view_name)
                                ELSE 'a table of its sources' END
            FROM _recon.check_def AS c
            LEFT JOIN _recon.ledger_source AS l ON l.name = c.ledger_source
            LEFT JOIN _recon.wallet_source AS w
                ON w.name = COALESCE(c.wallet_source, l.wallet_source)
            WHERE to_regclass(format('recon.%I', c.view_name)) IS NULL
               OR (l.relid IS NOT NULL AND NOT EXISTS (
                       SELECT FROM pg_catalog.pg_class AS r WHERE r.oid = l.relid))
               OR (w.relid IS NOT NULL AND NOT EXISTS (
                       SELECT FROM pg_catalog.pg_class AS r WHERE r.oid = w.relid))
            ORDER BY c.name""")
        return [(name, what) for name, what in cur.fetchall()]

    # -- install / upgrade ----------------------------------------------------------------
    def upgrade(self, target: str | None = None) -> dict:
        """Apply pending migrations (up to ``target``), then the repeatable layer at head.

        Returns what was done; empty lists mean nothing changed.
        """
        target_id = self.resolve(target) if target else self.head
        done: dict = {"migrations": [], "objects": [], "dropped": [], "restored": [], "moved": []}
        with self._exclusive() as backend:
            cur = backend.cursor()
            self._refuse_if_newer(cur)
            sums = self._recorded_checksums(cur)
            for mid, _ in self._applied(cur):
                m = next(m for m in self.migrations if m.id == mid)
                if mid in sums and sums[mid] != self._file_checksum(m):
                    raise MigratorError(
                        f"migration {mid} was edited after it was applied (checksum differs); "
                        "applied migrations are never edited: add a new migration instead"
                    )
            if target is not None:
                self._refuse_if_past(cur, target, target_id)
            action = "upgrade" if self._installed_version(cur) else "install"
            self._refuse_without_roles(cur)
            self._step("bootstrap", lambda: self._bootstrap(backend))
            self._yoyo_ready(backend)
            applied = {mid for mid, _ in self._applied(cur)}
            ids = [m.id for m in self.migrations]
            stop = ids.index(target_id) + 1 if target_id else 0
            for m in self.migrations[:stop]:
                if m.id in applied:
                    continue
                self._step(f"migration {m.id}",
                           lambda m=m: self._apply_migration(backend, m, action))
                done["migrations"].append(m.id)
                self.echo(f"applied migration {m.id}")
            if target_id == self.head:
                messages: list[str] = []
                self._step("repeatable layer",
                           lambda: self._sync_repeatables(backend, done, action, messages))
                for line in messages:  # printed once committed
                    self.echo(line)
            elif done["migrations"]:
                self.echo("repeatable objects are applied only at head; "
                          f"database is at {target_id}")
        return done

    def _refuse_if_past(self, cur: psycopg.Cursor, target: str,
                        target_id: str | None) -> None:
        """``upgrade --to`` an earlier migration than the database's (``0``: before the
        first): an error, not a no-op."""
        ids = [m.id for m in self.migrations]
        applied = {mid for mid, _ in self._applied(cur)}
        start = ids.index(target_id) + 1 if target_id is not None else 0
        later = [i for i in ids[start:] if i in applied]
        if later:
            where = target_id or "the first migration"
            back = (f"wallet-recon rollback --to {target}" if target_id is not None
                    else "wallet-recon uninstall")
            raise MigratorError(
                f"the database is already past {where} (at {later[-1]}); upgrade never "
                f"goes back: to return there run {back}")

    def enabled_guards(self, cur: psycopg.Cursor | None = None) -> list[tuple[str, str]]:
        """The guards enabled in the database (kind, target): their triggers sit on the user's
        tables and depend on the toolkit's functions, so they must be disabled before the
        repeatable layer can be dropped."""
        if cur is None:
            with connect(self.dsn) as conn:
                return self.enabled_guards(conn.cursor())
        if not self._exists(cur, "recon.guards"):
            return []
        cur.execute("SELECT kind, target FROM recon.guards ORDER BY id")
        return [(k, t) for k, t in cur.fetchall()]

    @staticmethod
    def refuse_guards(guards: list[tuple[str, str]], what: str) -> None:
        if guards:
            calls = " ".join(
                "SELECT recon.disable_guard({}, {});".format(*(
                    "'" + v.replace("'", "''") + "'" for v in g)) for g in guards)
            names = ", ".join(f"{k} on {t}" for k, t in guards)
            raise MigratorError(
                f"cannot {what}: {len(guards)} guard(s) enabled ({names}), their triggers on "
                f"your tables use the toolkit's functions; nothing was changed. Disable them "
                f"first in psql: {calls}")

    def _refuse_without_roles(self, cur: psycopg.Cursor) -> None:
        """Before anything is written: the toolkit's roles (cluster-wide) must exist, with
        recon_operator a member of recon_auditor, or this role must be able to make them
        (superuser or CREATEROLE), as migration 0001 does. A database owner without CREATEROLE
        (a managed service's usual role) installs once someone has created them."""
        cur.execute(
            "SELECT r.rolsuper OR r.rolcreaterole, "
            "       pg_catalog.to_regrole('recon_auditor') IS NOT NULL "
            "       AND pg_catalog.to_regrole('recon_operator') IS NOT NULL "
            "       AND pg_catalog.pg_has_role('recon_operator', 'recon_auditor', 'MEMBER') "
            "FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user"
        )
        can_create, present = cur.fetchone()
        if not (can_create or present):
            user = cur.execute("SELECT current_user").fetchone()[0]
            raise MigratorError(
                f"the toolkit's roles recon_auditor and recon_operator (recon_operator a member "
                f"of recon_auditor) do not exist, and {user} may not create roles; nothing was "
                "changed (hint: install as a role with CREATEROLE, or have one run once: "
                "CREATE ROLE recon_auditor NOLOGIN; CREATE ROLE recon_operator NOLOGIN IN ROLE "
                "recon_auditor;)"
            )

    def _step(self, what: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except psycopg.errors.LockNotAvailable:
            raise MigratorError(self._lock_message(what)) from None
        except psycopg.Error as exc:
            raise MigratorError(f"{what} failed and was rolled back: {pg_error(exc)}") from exc

    def _lock_message(self, what: str) -> str:
        return (f"{what}: lock_timeout ({self.lock_timeout}) expired waiting for a lock held by "
                "another transaction; this step was rolled back, re-run when it has finished")

    def _bootstrap(self, backend: PostgresqlPsycopgBackend) -> None:
        with backend.transaction():
            cur = backend.cursor()
            # Only when the envelope is missing or incomplete: a second run changes nothing.
            cur.execute(
                "SELECT count(*) FROM unnest(%s::text[]) AS t(n) "
                "WHERE pg_catalog.to_regclass(t.n) IS NOT NULL",
                (["_recon.migrator_meta", "_recon.migrator_migration",
                  "_recon.migrator_object", "_recon.migrator_log"],),
            )
            if cur.fetchone()[0] < 4:
                cur.execute(bootstrap_sql().encode("utf-8"))
            if self._exists(cur, "_recon.yoyo_lock"):
                # Under the advisory lock no live migrator owns these: a killed one left them.
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

    def _apply_migration(self, backend: PostgresqlPsycopgBackend, m: Migration,
                         action: str) -> None:
        """The migration, yoyo's record of it, its checksum and a history row: one transaction."""
        with backend.transaction():
            m.process_steps(backend, "apply")
            backend.log_migration(m, "apply")
            backend.mark_one(m, log=False)
            cur = backend.cursor()
            cur.execute(
                "INSERT INTO _recon.migrator_migration (migration_id, checksum) VALUES (%s, %s)"
                " ON CONFLICT (migration_id) DO UPDATE SET checksum = excluded.checksum,"
                " applied_at = pg_catalog.now()",
                (m.id, self._file_checksum(m)),
            )
            self._log(cur, {"migrations": [m.id]}, action)

    def _sync_repeatables(self, backend: PostgresqlPsycopgBackend, done: dict, action: str,
                          messages: list[str]) -> None:
        with backend.transaction():
            cur = backend.cursor()
            # The catalog comparison in repeatable.apply() must see only our own changes.
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            recs = repeatable.recorded(cur)
            order = {f.path: f.order for f in self.files}
            for new, old in repeatable.moved(recs, self.files).items():
                cur.execute("UPDATE _recon.migrator_object SET path = %s, apply_order = %s"
                            " WHERE path = %s", (new, order[new], old))
                done["moved"].append(f"{old} -> {new}")
            if done["moved"]:
                messages.append(f"recorded {len(done['moved'])} file(s) at their new paths")
            recs = repeatable.by_file(recs, self.files)
            paths = {f.path for f in self.files}
            gone = [r for p, r in recs.items() if p not in paths]
            if gone:
                done["dropped"] = repeatable.drop_all(cur, gone)
                messages += [f"dropped {p} (no longer in the package)" for p in done["dropped"]]
            # Bodies are checked once everything is in place (docs/MIGRATOR.md, "Fixed apply
            # order"): a file's name does not decide whether what it reads exists yet.
            cur.execute("SET LOCAL check_function_bodies = off")
            # The catalog, read whole once and then kept up to date file by file (names and
            # oids); once a file was applied, a file's state reads its own objects'
            # fingerprints afresh.
            live, applied = repeatable.catalog(cur), False
            for f in self.files:
                rec = recs.get(f.path)
                if rec is not None and applied:
                    live = repeatable.fingerprinted(cur, live, rec.fingerprints)
                st = repeatable.state(f, rec, live)
                if st == repeatable.CURRENT:
                    continue
                live, applied = self._apply_file(cur, f, rec, st, live), True
                done["objects"].append(f.path)
                if st == repeatable.MODIFIED:
                    done["restored"].append(f.path)
                    messages.append(
                        f"restored {f.path}: it had been modified in the database by hand")
                else:
                    messages.append(f"applied {f.path}" + ("" if rec is None else f" ({st})"))
            cur.execute("SET LOCAL check_function_bodies = on")
            if done["objects"]:
                self._validate_functions(cur)
            cur.execute("SELECT to_regprocedure('_recon.canonical_filters()') IS NOT NULL")
            if done["objects"] and cur.fetchone()[0]:
                # Entry filters registered before their values were kept in the form every
                # session reads alike (a timestamptz with its offset): read once more in this
                # session, before the checks and guards are compiled again from them.
                cur.execute("SELECT _recon.canonical_filters()")
                canonical = cur.fetchone()[0]
                if canonical:
                    done["filters"] = canonical
                    messages.append(
                        f"kept the filter values of {canonical} ledger source(s) in ISO form,"
                        " read in this session's TimeZone and DateStyle (docs/MIGRATOR.md)")
            cur.execute("SELECT to_regprocedure('_recon.recompile_checks(text[])') IS NOT NULL"
                        " AND to_regclass('_recon.check_kind') IS NOT NULL")
            if done["objects"] and cur.fetchone()[0]:
                # A compiler that changed reaches the checks registered before only this way
                # (their views hold the SQL compiled at registration): each is compiled again,
                # and replaced when its SQL differs (docs/MIGRATOR.md). (An older package's SQL,
                # --sql-dir, may have neither.)
                cur.execute("SELECT _recon.recompile_checks(ARRAY(SELECT k.kind"
                            " FROM _recon.check_kind AS k))")
                recompiled = cur.fetchone()[0]
                if recompiled:
                    done["recompiled"] = recompiled
                    messages.append(f"compiled {recompiled} check(s) again with the installed"
                                    " compilers")
            cur.execute("SELECT to_regprocedure('_recon.recompile_guards()') IS NOT NULL")
            if (done["objects"] or done["dropped"]) and cur.fetchone()[0]:
                # A guard's generated trigger functions hold an older package's SQL (they may
                # call functions it removed): every enabled guard is enabled again (issue 18).
                cur.execute("SELECT _recon.recompile_guards()")
                result = cur.fetchone()[0]
                if result["recompiled"]:
                    done["guards"] = result["recompiled"]
                    messages.append(f"enabled {result['recompiled']} guard(s) again with the"
                                    " installed generator")
                messages += [f"guard {f['kind']} on {f['target']} not enabled again: {f['error']}"
                             " (run recon.enable_guard as its table's owner)"
                             for f in result["failed"]]
            if done["objects"] or done["dropped"] or done["moved"]:
                self._log(cur, {k: done[k] for k in ("objects", "dropped", "restored", "moved")},
                          action)

    @staticmethod
    def _validate_functions(cur: psycopg.Cursor) -> None:
        """Check every toolkit function's body, as CREATE FUNCTION would have with
        check_function_bodies on: its language's validator, called once all are installed."""
        cur.execute(
            "SELECT p.oid, pg_catalog.format('%%I.%%I(%%s)', n.nspname, p.proname,"
            " pg_catalog.pg_get_function_identity_arguments(p.oid)), v.proname"
            " FROM pg_catalog.pg_proc AS p"
            " JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace"
            " JOIN pg_catalog.pg_language AS l ON l.oid = p.prolang"
            " JOIN pg_catalog.pg_proc AS v ON v.oid = l.lanvalidator"
            " WHERE n.nspname = ANY(%s) AND v.pronamespace = 'pg_catalog'::pg_catalog.regnamespace"
            " ORDER BY 2", (list(repeatable.TOOLKIT_SCHEMAS),))
        for oid, name, validator in cur.fetchall():
            try:
                cur.execute(b"SAVEPOINT validate")
                validate = sql.SQL("SELECT {}(%s)").format(
                    sql.Identifier("pg_catalog", validator))
                cur.execute(validate, (oid,))
                cur.execute(b"RELEASE SAVEPOINT validate")
            except psycopg.Error as exc:
                raise MigratorError(f"function {name} does not validate and the repeatable layer"
                                    f" was rolled back: {pg_error(exc)}") from exc

    def _apply_file(self, cur: psycopg.Cursor, f: RepeatableFile,
                    rec: repeatable.Recorded | None, st: str,
                    live: dict[str, repeatable.Live]) -> dict[str, repeatable.Live]:
        """Apply one file (repeatable.apply); `live` is the catalog now, and the catalog after
        it is returned (names and oids; fingerprints of the file's objects)."""
        try:
            cur.execute(b"SAVEPOINT apply_file")
            objects, live = repeatable.apply(cur, f, rec, live)
            cur.execute(b"RELEASE SAVEPOINT apply_file")
        except ValueError as exc:
            raise MigratorError(str(exc)) from None
        except psycopg.errors.LockNotAvailable:
            raise MigratorError(self._lock_message(f.path)) from None
        except psycopg.Error as exc:
            raise MigratorError(f"{f.path} failed and the repeatable layer was rolled back: "
                                f"{pg_error(exc)}") from exc
        if st == repeatable.MODIFIED and rec is not None:
            live = repeatable.fingerprinted(cur, live, objects)
            still = [o for o in objects if rec.fingerprints.get(o) not in (None,
                                                                           live[o].fingerprint)]
            if still:
                raise MigratorError(
                    f"could not restore {f.path}: {', '.join(still)} still differs from what the "
                    "file installs after re-applying it; nothing was changed, inspect it by hand"
                )
        return live

    @staticmethod
    def _log(cur: psycopg.Cursor, detail: dict, action: str) -> None:
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
            (action, __version__, _os_user(), socket.gethostname(), json.dumps(detail)),
        )

    # -- rollback / uninstall -------------------------------------------------------------
    def rollback(self, target: str | None = None) -> dict:
        """Roll back to ``target`` (default: one migration back); "0" removes everything.

        The whole rollback is one transaction: the repeatable layer is dropped (it may
        depend on what the migrations remove; ``upgrade`` puts it back), the migrations
        are rolled back newest first, and at zero the private schema goes too.
        """
        done: dict = {"migrations": [], "objects": [], "uninstalled": False}
        with self._exclusive() as backend:
            cur = backend.cursor()
            self._refuse_if_newer(cur)
            applied = [mid for mid, _ in self._applied(cur)]
            order = [m.id for m in self.migrations if m.id in applied]
            if target is None:
                if len(order) == 1:
                    raise MigratorError(
                        f"{order[0]} is the only applied migration: rolling it back uninstalls "
                        "wallet-recon; say so with `wallet-recon uninstall` or `rollback --to 0`")
                target_id = order[-2] if order else None
            else:
                target_id = self.resolve(target)
                if target_id is not None and target_id not in order:
                    raise MigratorError(f"migration {target_id} is not applied")
            keep = order[: order.index(target_id) + 1] if target_id else []
            undo = [m for m in reversed(self.migrations) if m.id in applied and m.id not in keep]
            if target_id is None and not applied:  # at most an empty envelope is left
                self._step("uninstall", lambda: self._drop_envelope_tx(backend, done))
                return done
            if undo or target_id is None:  # the repeatable layer goes: guards first
                self.refuse_guards(self.enabled_guards(cur),
                                   "uninstall" if target_id is None else "roll back")
            if applied:
                self._yoyo_ready(backend)
            self._step("rollback", lambda: self._rollback_tx(backend, undo, target_id, done))
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

    def _drop_envelope_tx(self, backend: PostgresqlPsycopgBackend, done: dict) -> None:
        with backend.transaction():
            cur = backend.cursor()
            cur.execute("SELECT pg_catalog.to_regnamespace('_recon') IS NOT NULL")
            if cur.fetchone()[0]:
                self._drop_envelope(cur)
                done["uninstalled"] = True
                self.echo("removed the private schema _recon: wallet-recon is uninstalled")


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
