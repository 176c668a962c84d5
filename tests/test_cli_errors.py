"""Issue 19: every error a newcomer meets in the first hour is one line (``wallet-recon: error:
...``, exit 2) that names the cause and the next command; cancelling is not an error (exit 1);
``| head`` is not an error either (exit 141, no traceback). Everything runs as a user runs it:
the console script (or scripts/) as a subprocess, against a real PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import pwd
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from helpers import seeded_with
from psycopg.conninfo import make_conninfo
from test_cli_ops import drift, run_in_pty, sql, state

from conftest import ROOT, WALLET_RECON, run_cli

HEAD = sorted(p.name.split(".")[0] + "." + p.name.split(".")[1]
              for p in (ROOT / "migrations").glob("*.sql") if "rollback" not in p.name)[-1]


def error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The one line on stderr of a failed command (exit 2), without a traceback (argparse's
    errors name the subcommand: ``wallet-recon fix: error: ...``)."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert re.match(r"wallet-recon( [a-z]+)?: error: ", lines[0]), lines
    return lines[0]


seeded = seeded_with("seed000.sql", "seed000_register.sql",
                     doc="Seed 000 loaded and registered (a clone).")


def test_check_where_the_toolkit_is_not_installed(empty_db: str) -> None:
    for args in (["check"], ["report"], ["fix"]):
        line = error_line(run_cli(*args, dsn=empty_db))
        assert "wallet-recon is not installed in" in line, line
        assert line.endswith(f"run wallet-recon install --database {shlex.quote(empty_db)} "
                             "first"), line
        assert "3F000" not in line
    # a password is never printed: the command names URL instead
    secret = make_conninfo(empty_db, password="s3cret")  # (the server trusts; it is ignored)
    line = error_line(run_cli("check", "--database", secret))
    assert "s3cret" not in line and line.endswith("install --database URL first"), line


def test_a_bad_url_says_what_a_url_looks_like() -> None:
    line = error_line(run_cli("check", "--database", "not a url"))
    assert "the --database value (or $DATABASE_URL) is not a libpq URL or key=value string" \
        in line
    assert "e.g. postgresql://user@host:5432/dbname" in line
    assert "ProgrammingError" not in line
    # the same from $DATABASE_URL, and for the migrator's commands
    assert "is not a libpq URL" in error_line(run_cli("status", dsn="host=x dbname"))


def test_connection_refused_names_the_check_to_run() -> None:
    line = error_line(run_cli("check", "--database", "postgresql://u@127.0.0.1:1/db"))
    assert "cannot connect to u@127.0.0.1:1/db:" in line
    assert "Connection refused" in line  # libpq's reason
    assert line.endswith("(check the host and port, then: pg_isready -h 127.0.0.1 -p 1)")
    line = error_line(run_cli("status", "--database", "host=/nonexistent port=5999 dbname=x"))
    assert "No such file or directory" in line and "pg_isready -h /nonexistent -p 5999" in line


def test_uninstall_and_rollback_refuse_while_a_guard_is_enabled(seeded: str) -> None:
    sql(seeded, "SELECT recon.enable_guard('drift', 's0_ledger')")
    triggers = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'recon_guard%'"
    (before,) = sql(seeded, triggers)[0]
    assert before > 0
    for args in (["uninstall", "--yes"], ["rollback", "--yes"], ["rollback", "--to", "0003",
                                                                 "--yes"]):
        line = error_line(run_cli(*args, dsn=seeded))
        assert "1 guard(s) enabled (drift on s0_ledger)" in line, line
        assert line.endswith("Disable them first in psql: "
                             "SELECT recon.disable_guard('drift', 's0_ledger');"), line
        assert "nothing was changed" in line and "rollback failed" not in line
    assert sql(seeded, triggers) == [(before,)]
    assert run_cli("status", dsn=seeded).returncode == 0  # everything still installed
    # the same check inside the migrator's transaction (no confirmation asked before it):
    # rolling back to head drops nothing, so it is allowed
    assert run_cli("rollback", "--to", HEAD, "--yes", dsn=seeded).returncode == 0
    sql(seeded, "SELECT recon.disable_guard('drift', 's0_ledger')")
    proc = run_cli("uninstall", "--yes", dsn=seeded)
    assert proc.returncode == 0, proc.stderr


def test_upgrade_to_an_earlier_migration_is_an_error(db: str) -> None:
    line = error_line(run_cli("upgrade", "--to", "0003", dsn=db))
    assert f"the database is already past 0003.incremental (at {HEAD})" in line, line
    assert line.endswith("run wallet-recon rollback --to 0003"), line
    # --to 0 (before the first migration) too, not "nothing to do" (a tester's finding)
    line = error_line(run_cli("upgrade", "--to", "0", dsn=db))
    assert f"already past the first migration (at {HEAD})" in line, line
    assert line.endswith("run wallet-recon uninstall"), line
    # at head, --to head is still nothing to do
    proc = run_cli("upgrade", "--to", HEAD.split(".")[0], dsn=db)
    assert proc.returncode == 0 and proc.stdout.startswith("nothing to do"), proc.stdout


def test_report_of_a_run_that_does_not_exist(db: str) -> None:
    line = error_line(run_cli("report", "999", dsn=db))
    assert line == ("wallet-recon: error: run 999 does not exist: list the runs with "
                    "wallet-recon report, or in psql SELECT id FROM recon.runs;")


def test_a_role_without_a_grant_is_told_which_to_ask_for(db: str) -> None:
    """A login with no toolkit role: PostgreSQL's own "permission denied for schema recon"
    named the object, not the grant; the line now says which role each command needs."""
    role = "no_grant_" + db.split("dbname=")[1].split()[0][-8:]
    with psycopg.connect(db, autocommit=True) as c:
        c.execute(f"DROP ROLE IF EXISTS {role}")
        c.execute(f"CREATE ROLE {role} LOGIN")
    try:
        dsn = make_conninfo(db, user=role)
        line = error_line(run_cli("check", dsn=dsn))
        assert "42501" in line and "permission denied" in line, line
        assert "check and report need recon_auditor, fix recon_operator" in line, line
    finally:
        with psycopg.connect(db, autocommit=True) as c:
            c.execute(f"DROP OWNED BY {role}")
            c.execute(f"DROP ROLE {role}")


def test_an_unknown_strategy_lists_the_strategies_in_the_cli_and_in_sql(seeded: str) -> None:
    from migrator.cli import STRATEGIES

    line = error_line(run_cli("fix", "--strategy", "nuke", dsn=seeded))
    assert "argument --strategy: invalid choice: 'nuke'" in line
    assert all(f"'{s}'" in line for s in STRATEGIES), line
    # psql: RC304, whose HINT lists the same strategies
    with psycopg.connect(seeded, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT * FROM recon.fix(force_strategy => 'nuke')")
    assert err.value.sqlstate == "RC304"
    hint = err.value.diag.message_hint or ""
    assert sorted(re.findall(r"[a-z_]+", hint.split("(")[0].removeprefix("Use one of"))) == \
        sorted(STRATEGIES), hint


def test_the_limits_name_both_options(seeded: str) -> None:
    drift(seeded, "50.00", 0)
    drift(seeded, "30.00", 1)
    run_cli("check", dsn=seeded)
    hint = ("step(s) skipped for the auto-fix limits: raise them with --wallet-limit CUR=AMOUNT "
            "(per wallet) and --run-limit CUR=AMOUNT (per call; default 10 x the wallet limit), "
            "e.g. --wallet-limit USD=500,JPY=50000; '*=AMOUNT' applies to every currency not "
            "named")
    proc = run_cli("fix", dsn=seeded)  # the default wallet limit: 10, so 100 per call
    assert proc.returncode == 1, proc.stderr
    assert "above the auto-fix limit: 50.00 > wallet_limit 10 ZAR (the check's low_limit; " \
           "run_limit 100 applies to the whole call)" in proc.stdout
    assert f"2 {hint}" in proc.stdout
    # the wallet limit raised, the run limit is hit: the same line names it
    proc = run_cli("fix", "--wallet-limit", "60", "--run-limit", "40", dsn=seeded)
    assert proc.returncode == 1, proc.stderr
    assert "over the run limit" in proc.stdout
    assert re.search(rf"\n\d+ {re.escape(hint)}", proc.stdout), proc.stdout


def test_cancelling_at_the_prompt_is_not_an_error(seeded: str) -> None:
    drift(seeded, "5.00", 0)
    run_cli("check", dsn=seeded)
    before = state(seeded)
    for args in (["uninstall"], ["fix", "--apply", "--ticket", "T", "--reason", "r"]):
        code, out, shown = run_in_pty(args, seeded, stdin_text="no\n")
        assert code == 1, (args, out, shown)
        assert "wallet-recon: cancelled: nothing changed" in shown
        assert "error" not in shown
    assert state(seeded) == before
    assert run_cli("status", dsn=seeded).returncode == 0
    assert "cancelled at a confirmation prompt" in run_cli("--help").stdout


def test_a_reader_that_goes_away_is_not_an_error(seeded: str) -> None:
    """``wallet-recon fix | head -c 64``: a real pipe, shrunk to one page and closed after its
    first 64 bytes, while the plan (longer than the pipe holds) is still being written."""
    drift(seeded, "1.00", *range(50))
    run_cli("check", dsn=seeded)
    full = run_cli("fix", dsn=seeded)
    assert len(full.stdout) > 4096 + 512, len(full.stdout)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": seeded}
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    proc = subprocess.Popen([WALLET_RECON, "fix"], stdout=write_end, stderr=subprocess.PIPE,
                            env=env, text=True)
    os.close(write_end)
    assert os.read(read_end, 64).startswith(b"repair plan for run")
    os.close(read_end)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
    assert err == "", err  # no BrokenPipeError, no "Exception ignored"


def test_the_wrapper_works_from_any_directory(tmp_path: Path) -> None:
    proc = subprocess.run([str(ROOT / "scripts" / "wallet-recon"), "--version"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.startswith("wallet-recon "), proc.stderr
    proc = subprocess.run([str(ROOT / "scripts" / "wallet-recon"), "report"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"})
    assert "no database: pass --database URL" in error_line(proc)


def test_setup_prints_the_path_line() -> None:
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "setup")], cwd="/",
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == f'export PATH="{ROOT}/.venv/bin:$PATH"'


def test_setup_without_sudo_names_the_packages_and_the_command() -> None:
    """A real run of scripts/setup as an ordinary user whose PATH has no sudo. What it proves:
    the detection, the no-sudo branch and its message. What it does not: that the packages
    are really missing here (they are installed; WALLET_RECON_SETUP_REQUIRE adds a package
    name that is not, the one test hook the script has), and it never runs apt-get."""
    path = "/usr/local/bin:/usr/bin:/bin"
    assert shutil.which("sudo", path=path) is None, "this machine has sudo on PATH"
    absent = "wallet-recon-test-absent-package"
    env = {"PATH": path, "HOME": "/tmp", "WALLET_RECON_SETUP_REQUIRE": absent}
    cmd = ["bash", str(ROOT / "scripts" / "setup")]
    if os.geteuid() == 0:  # as an ordinary user: the one that owns nothing here
        user = pwd.getpwnam("nobody").pw_name
        cmd = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", user, "--", "env", *(f"{k}={v}" for k, v in env.items()), *cmd]
    proc = subprocess.run(cmd, cwd="/", capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"setup: missing packages: {absent}; install them as root (no sudo here): apt-get "
        f"update && apt-get install -y --no-install-recommends {absent}, then run "
        "scripts/setup again"], proc.stderr


def test_a_read_only_transaction_is_rc314_for_check_and_fix(seeded: str) -> None:
    """An operator's role with default_transaction_read_only = on (a tester's finding): check
    and even a dry-run fix failed with a raw 25006; now one line with RC314 and what to do,
    from the CLI and from SQL, nothing recorded."""
    drift(seeded, "5.00", 0)
    assert run_cli("check", dsn=seeded).returncode == 0
    read_only = make_conninfo(seeded, options="-c default_transaction_read_only=on")
    runs = sql(seeded, "SELECT count(*) FROM recon.runs")
    for command in ("check", "fix"):
        line = error_line(run_cli(command, dsn=read_only))
        assert line.startswith("wallet-recon: error: RC314: ") and "read-only transaction" \
            in line and "(hint: Run it in a read-write transaction" in line, line
    assert sql(seeded, "SELECT count(*) FROM recon.runs") == runs
    with psycopg.connect(seeded) as c:
        c.execute("SET TRANSACTION READ ONLY")
        for call in ("recon.fix()", "recon.reverse_fix(1)",
                     "recon.backfill('s0_balance')", "recon.reconcile()"):
            with pytest.raises(psycopg.Error) as err, c.transaction():
                c.execute(f"SELECT * FROM {call}")
            assert err.value.sqlstate == "RC314", (call, err.value)


def test_out_of_range_numbers_are_usage_errors_naming_the_option(seeded: str) -> None:
    """A tester's finding: --wallet-limit USD=1e999999 and --run-limit 1e131072 were raw 22003
    (value overflows numeric format), --finding 9223372036854775808 a raw 42883 (recon.fix() of
    numeric[]); now the argument parser says which option and the range, exit 2, nothing
    changed (and the range's edge is accepted)."""
    drift(seeded, "5.00", 0)
    assert run_cli("check", dsn=seeded).returncode == 0
    before = state(seeded)
    for option, value, says in (
            ("--wallet-limit", "USD=1e999999", "out of range: a limit is an amount from 0 to "
                                               "below 1e1000, with at most 1000 decimal places"),
            ("--wallet-limit", "1e999999", "out of range: a limit is an amount"),
            ("--run-limit", "1e131072", "out of range: a limit is an amount"),
            ("--run-limit", "*=1e-20000", "out of range: a limit is an amount"),
            ("--finding", "9223372036854775808", "ids run from 1 to 9223372036854775807"),
            ("--finding", "99999999999999999999", "ids run from 1 to 9223372036854775807")):
        line = error_line(run_cli("fix", option, value, dsn=seeded))
        assert line.startswith(f"wallet-recon fix: error: argument {option}: {value!r}"), line
        assert says in line, line
        assert "22003" not in line and "42883" not in line, line
    line = error_line(run_cli("fix", "9223372036854775808", dsn=seeded))
    assert "runs are numbered 1 to 9223372036854775807" in line, line
    line = error_line(run_cli("report", "--history", "9223372036854775808", dsn=seeded))
    assert "argument --history: '9223372036854775808' is out of range" in line, line
    assert state(seeded) == before
    # the edges are accepted and reach recon.fix(): a plan; the largest id its documented
    # RC311 with the hint
    proc = run_cli("fix", "--wallet-limit", "USD=9e999", "--run-limit", "1e-1000", dsn=seeded)
    assert proc.returncode in (0, 1) and proc.stderr == "", proc.stderr
    assert "repair plan for run" in proc.stdout
    line = error_line(run_cli("fix", "--finding", "9223372036854775807", dsn=seeded))
    assert line.startswith("wallet-recon: error: RC311: not an open finding: "
                           "9223372036854775807") and "(hint: " in line, line
    assert state(seeded) == before


def test_max_lag_and_replica_are_checked_before_anything_runs(seeded: str) -> None:
    """A tester's finding: check --replica URL --max-lag abc / 100000000000d were raw 22007 /
    22015 from the interval cast, and --replica "" (an unset variable) silently ran the whole
    check on the primary. Now usage errors, exit 2, no run recorded."""
    runs = sql(seeded, "SELECT count(*) FROM recon.runs")
    for value, says in (("abc", "'abc' is not a duration: use e.g. 30s, 500ms, 2min or 1h"),
                        ("100000000000d", "'100000000000d' is out of range: the lag bound is "
                                          "from 0 to 24h"),
                        ("-1s", "is not a duration"), ("5 fortnights", "is not a duration")):
        line = error_line(run_cli("check", "--replica", seeded, f"--max-lag={value}",
                                  dsn=seeded))
        assert line.startswith("wallet-recon check: error: argument --max-lag: "), line
        assert says in line, line
    for value in ("", "  "):
        line = error_line(run_cli("check", "--replica", value, dsn=seeded))
        assert line.startswith("wallet-recon check: error: argument --replica: empty URL (an "
                               "unset variable?): name the standby, or leave --replica out"), line
    assert sql(seeded, "SELECT count(*) FROM recon.runs") == runs
    # a good duration gets past the parser: the primary is no standby (RC220, the replica
    # protocol's own check), nothing recorded either
    line = error_line(run_cli("check", "--replica", seeded, "--max-lag", "1 minute",
                              dsn=seeded))
    assert "RC220" in line, line
    assert sql(seeded, "SELECT count(*) FROM recon.runs") == runs
