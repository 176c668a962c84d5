"""Dependencies between repeatable objects are explicit (issue 20, item 6): the repeatable layer
is installed with check_function_bodies off and every function is validated once all are in
place, so a file's name no longer decides whether it installs (docs/MIGRATOR.md)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import one, q, sql_file

from conftest import run_cli

FIRST = """
CREATE OR REPLACE FUNCTION _recon.aaa_reads_later()
RETURNS bigint LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $body$ SELECT _recon.zzz_defined_later() + (SELECT count(*) FROM recon.checks) $body$;
COMMENT ON FUNCTION _recon.aaa_reads_later() IS 'test';
REVOKE EXECUTE ON FUNCTION _recon.aaa_reads_later() FROM PUBLIC;
"""
LATER = """
CREATE OR REPLACE FUNCTION _recon.zzz_defined_later()
RETURNS bigint LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $body$ SELECT 41::bigint $body$;
COMMENT ON FUNCTION _recon.zzz_defined_later() IS 'test';
REVOKE EXECUTE ON FUNCTION _recon.zzz_defined_later() FROM PUBLIC;
"""


def test_an_sql_function_may_read_what_sorts_after_it(make_db, sql_copy: Path) -> None:
    # functions/ sorts before views/, and aaa_ before zzz_: with bodies checked at creation
    # this install failed ("function _recon.zzz_defined_later() does not exist")
    (sql_copy / "functions" / "aaa_reads_later.sql").write_text(FIRST)
    (sql_copy / "functions" / "zzz_defined_later.sql").write_text(LATER)
    dsn = make_db()
    proc = run_cli("install", "--sql-dir", str(sql_copy), dsn=dsn)
    assert proc.returncode == 0, proc.stderr
    assert one(dsn, "SELECT _recon.aaa_reads_later()") == 41
    assert one(dsn, "SHOW check_function_bodies") == "on"  # the session's own, untouched

    # a body that reads nothing that exists still fails, once everything is installed, and
    # the whole repeatable layer is rolled back
    (sql_copy / "functions" / "aaa_reads_later.sql").write_text(
        FIRST.replace("recon.checks", "recon.no_such_view"))
    proc = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=dsn)
    assert proc.returncode != 0
    assert "function _recon.aaa_reads_later() does not validate" in proc.stderr, proc.stderr
    assert "recon.no_such_view" in proc.stderr
    assert one(dsn, "SELECT _recon.aaa_reads_later()") == 41  # as it was


def test_a_file_moved_into_a_stage_folder_keeps_its_objects(make_db, sql_copy: Path) -> None:
    """functions/ may hold one subfolder per stage (migrator.resources.STAGES, in that order,
    after the files at its top): a file moved into one is the same file, its objects are not
    dropped and created (a view using the function would make the DROP fail)."""
    dsn = make_db()
    assert run_cli("install", "--sql-dir", str(sql_copy), dsn=dsn).returncode == 0
    oid = "SELECT 'recon.version()'::regprocedure::oid"
    before = one(dsn, oid)
    for name, stage in (("version.sql", "guard"), ("_severity_rank.sql", "fix")):
        (sql_copy / "functions" / stage).mkdir(exist_ok=True)
        sql_file(sql_copy, name).rename(sql_copy / "functions" / stage / name)
    states = json.loads(run_cli("status", "--json", "--sql-dir", str(sql_copy), dsn=dsn).stdout)
    assert {o["path"]: o["state"] for o in states["objects"]}["functions/fix/_severity_rank.sql"] \
        == "current"
    proc = run_cli("upgrade", "--sql-dir", str(sql_copy), dsn=dsn)
    assert proc.returncode == 0, proc.stderr
    assert "recorded 2 file(s) at their new paths" in proc.stdout and "dropped" not in proc.stdout
    assert one(dsn, oid) == before
    assert [r[0] for r in q(dsn, "SELECT path FROM _recon.migrator_object WHERE path IN"
                                 " ('functions/fix/_severity_rank.sql',"
                                 " 'functions/guard/version.sql') ORDER BY apply_order")] == [
        "functions/fix/_severity_rank.sql", "functions/guard/version.sql"]
    status = run_cli("status", "--sql-dir", str(sql_copy), dsn=dsn)
    assert status.returncode == 0, status.stdout
