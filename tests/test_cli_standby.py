"""The CLI and the SQL API pointed at a hot standby instead of the primary (a replica URL given
as --database, a common deploy-pipeline mix-up): one clear RC220 error with what to run
instead, exit 2, nothing changed, as `fix` already said it (a tester's finding: install,
upgrade and check failed with PostgreSQL's raw 25006 from their first write). A real primary
and its streaming standby (tests/standby.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest
from standby import PrimaryAndStandby

from conftest import load_fixture, rows, run, run_cli

DB = "recon_standby_cli"


@pytest.fixture(scope="module")
def pair() -> Iterator[PrimaryAndStandby]:
    with PrimaryAndStandby() as p:
        with psycopg.connect(p.primary_dsn(), autocommit=True) as c:
            c.execute(f"CREATE DATABASE {DB}")
        proc = run_cli("install", dsn=p.primary_dsn(DB))
        assert proc.returncode == 0, proc.stderr
        load_fixture(p.primary_dsn(DB), "seed000.sql", "seed000_register.sql")
        run(p.primary_dsn(DB), "UPDATE seed000.wallet_account SET balance = balance + 5 "
                               "WHERE id = (SELECT id FROM seed000.wallet_account ORDER BY id LIMIT 1)")
        assert run_cli("check", dsn=p.primary_dsn(DB)).returncode in (0, 1)
        p.caught_up(DB)
        yield p


def error_line(proc: object) -> str:
    lines = proc.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    return lines[0]


def primary_state(pair: PrimaryAndStandby) -> list[dict]:
    return rows(pair.primary_dsn(DB),
                "SELECT (SELECT count(*) FROM _recon.run) AS runs,"
                " (SELECT count(*) FROM _recon.migrator_log) AS migrator_log,"
                " (SELECT md5(string_agg(w::text, ',' ORDER BY id))"
                "  FROM seed000.wallet_account AS w) AS wallets")


def test_install_upgrade_rollback_uninstall_and_check_on_a_standby_say_so(
        pair: PrimaryAndStandby) -> None:
    standby = pair.standby_dsn(DB)
    before = primary_state(pair)
    for args in (["install"], ["upgrade"], ["rollback", "--yes"], ["uninstall", "--yes"]):
        line = error_line(run_cli(*args, dsn=standby))
        assert line.startswith("wallet-recon: error: RC220: "), (args, line)
        assert re.search(r"@127\.0\.0\.1:\d+/recon_standby_cli is a standby \(in recovery\): "
                         r"the toolkit is installed, upgraded and removed on the primary only",
                         line), (args, line)
        assert "nothing was changed (hint: point --database at the primary; checks can read " \
               "on a standby: wallet-recon check --database <primary> --replica <standby>)" \
               in line, (args, line)
        assert "25006" not in line and "bootstrap failed" not in line, (args, line)
    for args in (["check"], ["check", "--incremental"], ["fix"]):
        line = error_line(run_cli(*args, dsn=standby))
        assert line.startswith("wallet-recon: error: RC220: ") and "on a standby" in line, \
            (args, line)
        assert "(hint: " in line and "on the primary" in line, (args, line)
        assert "25006" not in line, (args, line)
    pair.caught_up(DB)
    assert primary_state(pair) == before
    # what only reads works there: the runs the primary recorded, from the standby
    proc = run_cli("report", dsn=standby)
    assert proc.returncode == 0, proc.stderr
    assert "wallet-recon report: run" in proc.stdout


def test_the_sql_calls_that_write_say_rc220_on_a_standby(pair: PrimaryAndStandby) -> None:
    with psycopg.connect(pair.standby_dsn(DB), autocommit=True) as c:
        for call in ("recon.reconcile()", "recon.start_run()", "recon.reverse_fix(1)",
                     "recon.backfill('s0_balance')"):
            with pytest.raises(psycopg.Error) as err:
                c.execute(f"SELECT * FROM {call}")
            assert err.value.sqlstate == "RC220", (call, err.value)
            assert "cannot run on a standby: this server is in recovery" \
                in err.value.diag.message_primary, call
            assert "point --database at the primary" in (err.value.diag.message_hint or "")
        with pytest.raises(psycopg.Error) as err:
            c.execute("CALL recon.reconcile_run()")
        assert err.value.sqlstate == "RC220"
