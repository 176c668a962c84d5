"""The CLI names the database it writes to as libpq reaches it (a tester's finding): with the
port in $PGPORT, or the server in a service file, the confirmation of `fix --apply` and
`status` named 127.0.0.1:5432 or "local socket:5432/" while the commands wrote elsewhere."""

from __future__ import annotations

from pathlib import Path

from helpers import seeded_with
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from test_cli_ops import drift

from conftest import run_cli

seeded = seeded_with("seed000.sql", "seed000_register.sql",
                     doc="Seed 000 loaded and registered (a clone).")


def test_status_names_the_server_from_the_environment_and_a_service_file(
        db: str, tmp_path: Path) -> None:
    p = conninfo_to_dict(db)
    port = str(p.pop("port"))
    target = f"{p['user']}@{p['host']}:{port}/{p['dbname']}"
    no_port = make_conninfo(**p)

    proc = run_cli("status", dsn=no_port, env={"PGPORT": port})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split() == ["database", target]

    services = tmp_path / "pg_service.conf"
    services.write_text(f"[books]\nhost={p['host']}\nport={port}\ndbname={p['dbname']}\n"
                        f"user={p['user']}\n")
    env = {"PGSERVICEFILE": str(services)}
    proc = run_cli("status", dsn="service=books", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split() == ["database", target]
    # uninstall asks before it acts, naming the service: nothing is removed without --yes
    proc = run_cli("uninstall", dsn="service=books", env=env)
    assert proc.returncode == 2 and "from service books" in proc.stderr, proc.stderr
    assert run_cli("status", dsn="service=books", env=env).returncode == 0


def test_libpq_variables_alone_name_the_database(db: str) -> None:
    """psql reads PGHOST, PGPORT, PGUSER, PGDATABASE without a URL; so does the CLI now."""
    p = conninfo_to_dict(db)
    env = {"PGHOST": p["host"], "PGPORT": str(p["port"]), "PGUSER": p["user"],
           "PGDATABASE": p["dbname"]}
    proc = run_cli("status", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split() == [
        "database", f"{p['user']}@{p['host']}:{p['port']}/{p['dbname']}"]


def test_an_ascii_terminal_gets_escapes_not_a_failed_command(seeded: str) -> None:
    """check records its run, then printed a character an ASCII stream cannot take: exit 2 on
    UnicodeEncodeError. Now the character is escaped and the exit code is the run's."""
    drift(seeded, "5.00", 0)
    proc = run_cli("check", dsn=seeded, env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "LOW \\xb7 s0_balance \\xb7 1 finding(s)" in proc.stdout
