"""Issue 18 item 3: a journal check declaring NULL journals legitimate ("null_journals":
"allowed") says how many entries without a journal it left out, in the run summary's by_check
entry and in `wallet-recon check` / `report` text; by default they are one finding. Through SQL
from a plain connection, and the CLI as a subprocess, on tests/fixtures/double_entry.sql."""

from __future__ import annotations

from collections.abc import Callable

from conftest import open_findings, reconcile, run, run_cli

# three one-sided credits without a journal, each with its balance and running balance moved:
# no drift, only entries that belong to no journal transaction
NULL_CREDITS = [s for who, amount in (("alice", 5), ("bob", 7), ("carol", 11)) for s in (
    f"UPDATE dbl.account SET balance = balance + {amount} WHERE id = '{who}'",
    "INSERT INTO dbl.entry (account_id, amount, balance_after, txn)"
    f" SELECT '{who}', {amount}, balance, NULL FROM dbl.account WHERE id = '{who}'")]

ALLOWED = ("SELECT recon.register_check('dbl_journal', 'journal',"
           " '{\"ledger\": \"dbl_entries\", \"null_journals\": \"allowed\"}')")


def test_null_journals_skipped_are_counted_per_check(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    dsn = make_db(fixture_template("double_entry.sql"))
    assert reconcile(dsn)["by_check"]["dbl_journal"] == {
        "findings": 0, "max_severity": None, "by_currency": []}
    run(dsn, *NULL_CREDITS)

    # default ("finding"): the three entries are one finding, and nothing is said skipped
    summary = reconcile(dsn)
    assert summary["by_check"]["dbl_journal"]["findings"] == 1
    assert "null_journals_skipped" not in summary["by_check"]["dbl_journal"]
    found = open_findings(dsn, "dbl_journal")
    assert [(f["details"]["cause"], f["details"]["entries"]) for f in found] == [
        ("null_journal", 3)]
    # the other checks of the run carry no count either
    assert all("null_journals_skipped" not in v for k, v in summary["by_check"].items()
               if k != "dbl_journal")

    # "allowed": no finding, and the summary says 3 were left out
    run(dsn, "SELECT recon.drop_check('dbl_journal')", ALLOWED)
    summary = reconcile(dsn)
    assert summary["status"] == "synced", summary
    assert summary["by_check"]["dbl_journal"] == {
        "findings": 0, "max_severity": None, "by_currency": [], "null_journals_skipped": 3}
    assert open_findings(dsn, "dbl_journal") == []

    # where a DBA reads it: check's text (a synced run too) and the run's report
    check = run_cli("check", dsn=dsn)
    assert check.returncode == 0, check.stderr
    line = "dbl_journal: 3 entries without a journal left out (null_journals: allowed)"
    assert line in check.stdout, check.stdout
    report = run_cli("report", dsn=dsn)
    assert report.returncode == 0, report.stderr
    assert line in report.stdout, report.stdout

    # a journal entry is not counted: 0 once the three are given a journal of their own
    run(dsn, "UPDATE dbl.entry SET txn = 'late-' || id WHERE txn IS NULL")
    assert reconcile(dsn)["by_check"]["dbl_journal"]["null_journals_skipped"] == 0
