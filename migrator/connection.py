"""Connecting to the user's database: DSNs, masking, and clean errors."""

from __future__ import annotations

import os
import shlex

import psycopg
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict, make_conninfo

# Every connection speaks UTF8, whatever the database's encoding or $PGCLIENTENCODING: the
# server converts to and from the database's encoding (an unrepresentable character is its
# error 22P05), and in a SQL_ASCII database, where it converts nothing, psycopg would otherwise
# read every text value as bytes and send them back as bytea (42883: operator does not exist:
# information_schema.sql_identifier = bytea, in yoyo's first query).
CLIENT_ENCODING = "UTF8"


class MigratorError(Exception):
    """An error the CLI reports as one line and exit code 2."""


def parse_dsn(dsn: str) -> dict[str, str]:
    """A libpq URL or key=value string, as a dict of libpq parameters."""
    try:
        return {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    except psycopg.ProgrammingError as exc:
        raise MigratorError(
            f"the --database value (or $DATABASE_URL) is not a libpq URL or key=value string "
            f"({first_line(exc)}); e.g. postgresql://user@host:5432/dbname") from None


def with_settings(dsn: str, **settings: str) -> str:
    """The DSN with server settings added to its ``options`` (``-c name=value``)."""
    params = parse_dsn(dsn)
    extra = " ".join(f"-c {name}={value}" for name, value in settings.items())
    params["options"] = f"{params.get('options', '')} {extra}".strip()
    return make_conninfo(**params)


def describe(dsn: str, conn: psycopg.Connection | None = None) -> str:
    """The database for display: user@host:port/dbname, never the password. With ``conn``, the
    server it is connected to; else what libpq would use: the DSN, then $PGHOST, $PGPORT, $PGUSER,
    $PGDATABASE and libpq's defaults (a service file is read only on connecting: named)."""
    if conn is not None:
        info = conn.info
        host = info.host if not info.host.startswith("/") else f"local socket {info.host}"
        return f"{info.user}@{host}:{info.port}/{info.dbname}"
    p = parse_dsn(dsn)
    service = p.get("service") or os.environ.get("PGSERVICE")
    # what libpq takes for a parameter the DSN leaves out: its environment variable, else its
    # compiled-in default
    defaults = {o.keyword.decode(): (o.val or o.compiled or b"").decode()
                for o in pq.Conninfo.get_defaults()}
    if service:
        p = {k: v for k, v in p.items() if k != "service"}
        known = {k: p[k] for k in ("user", "host", "hostaddr", "port", "dbname") if k in p}
        return f"service {service}" + (f" ({make_conninfo(**known)})" if known else "")
    user = p.get("user") or defaults.get("user", "")
    host = p.get("host") or p.get("hostaddr") or defaults.get("host") or \
        defaults.get("hostaddr") or "local socket"
    port = p.get("port") or defaults.get("port") or "5432"
    dbname = p.get("dbname") or defaults.get("dbname") or user
    return f"{user}{'@' if user else ''}{host}:{port}/{dbname}"


def shell_dsn(dsn: str) -> str:
    """The DSN quoted for a shell, to print in a command to paste; "" when it holds a password
    (never printed: the command then relies on $DATABASE_URL)."""
    return "" if parse_dsn(dsn).get("password") else shlex.quote(dsn)


def pg_error(exc: psycopg.Error) -> str:
    """A server error as one line: message, (detail), [SQLSTATE]."""
    detail = (exc.diag.message_detail or "").replace("\n", "; ")
    text = first_line(exc) + (f" ({detail})" if detail else "")
    return text + (f" [SQLSTATE {exc.sqlstate}]" if exc.sqlstate else "")


def connect_error(dsn: str, exc: BaseException) -> str:
    """A failed connection as one line: libpq's reason and, when nothing answered, what to
    check next."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    text = f"cannot connect to {describe(dsn)}: {reason}"
    if "Connection refused" in reason or "No such file or directory" in reason:
        p = parse_dsn(dsn)
        host = p.get("host") or p.get("hostaddr") or ""
        where = (f"-h {host.split(',')[0]} " if host else "") + f"-p {p.get('port', '5432')}"
        text += f" (check the host and port, then: pg_isready {where})"
    return text


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect(
    dsn: str, *, autocommit: bool = True, application_name: str = "wallet-recon", **settings: str
) -> psycopg.Connection:
    """A connection with ``settings`` applied as server options (``-c name=value``)."""
    parse_dsn(dsn)  # a malformed string: say so, not psycopg's parser error
    try:
        return psycopg.connect(
            with_settings(dsn, **settings) if settings else dsn,
            autocommit=autocommit,
            connect_timeout=10,
            application_name=application_name,
            client_encoding=CLIENT_ENCODING,
        )
    except psycopg.OperationalError as exc:
        raise MigratorError(connect_error(dsn, exc)) from None
