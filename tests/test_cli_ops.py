"""The operator commands as a user runs them: wallet-recon check, report and fix, as subprocesses
against a real database (seed 000's schema, registered through the public API)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
from collections.abc import Callable
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import pytest
from helpers import seeded_with

from conftest import WALLET_RECON, run_cli

CHECKS = ["s0_balance", "s0_chain", "s0_duplicates", "s0_orphans"]


seeded = seeded_with("seed000.sql", "seed000_register.sql",
                     doc="Seed 000 loaded and registered (a clone).")


def sql(dsn: str, query: str, params: tuple | None = None) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as c:
        cur = c.execute(query, params)
        return cur.fetchall() if cur.description else []


def drift(dsn: str, amount: str, *offsets: int) -> list[str]:
    """Move the stored balance of the wallets at these offsets (by id) without a ledger entry."""
    keys = []
    for off in offsets:
        (key,) = sql(dsn, "UPDATE seed000.wallet_account SET balance = balance + %s WHERE id = "
                          "(SELECT id FROM seed000.wallet_account w WHERE EXISTS (SELECT FROM "
                          "seed000.wallet_transaction t WHERE t.wallet_id = w.id) ORDER BY id "
                          "OFFSET %s LIMIT 1) RETURNING id::text", (amount, off))[0]
        keys.append(key)
    return keys


def state(dsn: str) -> list[tuple]:
    """Everything a fix could change: the user's tables and the toolkit's audit."""
    return sql(dsn, "SELECT (SELECT md5(string_agg(w::text, ',' ORDER BY id)) FROM "
                    "seed000.wallet_account w), (SELECT md5(string_agg(t::text, ',' ORDER BY id))"
                    " FROM seed000.wallet_transaction t), (SELECT count(*) FROM recon.repairs)")


def decimal_json(text: str) -> dict:
    return json.loads(text, parse_float=Decimal)


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("wallet-recon"), lines
    return lines[0]


def run_in_pty(args: list[str], dsn: str, *, stdin_text: str | None = None
               ) -> tuple[int, str, str]:
    """Run wallet-recon with stderr (and stdin, when stdin_text is given) on a terminal.
    Returns (exit code, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": dsn}
    proc = subprocess.Popen([WALLET_RECON, *args], stdin=slave if stdin_text is not None
                            else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                            env=env, text=True)
    os.close(slave)
    if stdin_text is not None:
        os.write(master, stdin_text.encode())
    out, _ = proc.communicate(timeout=120)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return proc.returncode, out, shown.decode(errors="replace")


# -- check -------------------------------------------------------------------------------------

def test_check_synced_exits_0(seeded: str) -> None:
    proc = run_cli("check", dsn=seeded)
    assert proc.returncode == 0, proc.stderr
    assert "synced: nothing found by 4 check(s)" in proc.stdout
    assert "OK: nothing open at or above MEDIUM" in proc.stdout
    assert proc.stderr == ""


def test_check_exit_code_follows_fail_on(seeded: str) -> None:
    (key,) = drift(seeded, "5.00", 0)  # one wallet under the low limit (10): LOW
    proc = run_cli("check", dsn=seeded)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "LOW · s0_balance · 1 finding(s) · 5.00 ZAR" in proc.stdout
    assert key in proc.stdout
    assert run_cli("check", "--fail-on", "LOW", dsn=seeded).returncode == 1
    assert run_cli("check", "--fail-on", "low", dsn=seeded).returncode == 1

    drift(seeded, "50.00", 1, 2)  # three wallets: every finding of the check is HIGH
    proc = run_cli("check", dsn=seeded)
    assert proc.returncode == 1
    assert "HIGH · s0_balance · 3 finding(s) · 105.00 ZAR" in proc.stdout
    assert "FAIL: 3 open finding(s) at or above MEDIUM; `wallet-recon fix" in proc.stdout
    assert run_cli("check", "--fail-on", "HIGH", dsn=seeded).returncode == 1
    assert run_cli("check", "--fail-on", "CRITICAL", dsn=seeded).returncode == 0


def test_check_json_is_exact_and_has_nothing_extra(seeded: str) -> None:
    keys = drift(seeded, "0.10", 0, 1)
    proc = run_cli("check", "--format", "json", dsn=seeded)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    doc = decimal_json(proc.stdout)  # the whole of stdout is one JSON document
    assert doc["exit_code"] == 1 and doc["failing"] == 2 and doc["fail_on"] == "MEDIUM"
    assert doc["run"]["status"] == "discrepancy" and doc["run"]["checks"] == CHECKS
    found = {f["wallet_key"]: f for f in doc["open_findings"]}
    assert set(found) == set(keys)
    for f in found.values():
        assert f["difference"] == Decimal("0.10") and str(f["difference"]) == "0.10"
        assert f["severity"] == "HIGH" and f["check_name"] == "s0_balance"
    run_id = doc["run"]["run_id"]
    assert sql(seeded, "SELECT status FROM recon.runs WHERE id = %s", (run_id,)) == [
        ("discrepancy",)]


def test_check_markdown_for_tickets(seeded: str) -> None:
    drift(seeded, "25.00", 0)
    proc = run_cli("check", "--format", "markdown", dsn=seeded)
    assert proc.returncode == 1
    out = proc.stdout
    assert out.startswith("## wallet-recon check\n")
    assert "### MEDIUM · s0_balance · 1 finding(s) · 25.00 ZAR" in out
    assert "| finding   | wallet" in out and "|---" in out


def test_check_progress_on_a_terminal_only(seeded: str) -> None:
    code, out, shown = run_in_pty(["check"], seeded)
    assert code == 0, shown
    for i, name in enumerate(CHECKS, 1):
        assert f"checking {i}/4 {name}: 0 finding(s) in " in shown
    assert "checking" not in out  # progress goes to the terminal, not into the output

    code, out, shown = run_in_pty(["check", "--format", "json"], seeded)
    assert code == 0
    assert "checking" not in shown and shown.strip() == ""
    assert json.loads(out)["exit_code"] == 0

    proc = run_cli("check", dsn=seeded)  # not a terminal: no progress either
    assert "checking" not in proc.stderr + proc.stdout


def test_check_named_checks_and_incremental(seeded: str) -> None:
    drift(seeded, "50.00", 0)
    proc = run_cli("check", "--checks", "s0_chain,s0_duplicates", dsn=seeded)
    assert proc.returncode == 0, proc.stdout  # the drift is in a check that did not run
    assert "synced: nothing found by 2 check(s)" in proc.stdout
    proc = run_cli("check", "--checks", "s0_balance", "--incremental", dsn=seeded)
    assert proc.returncode == 1
    assert "(incremental," in proc.stdout


def test_check_errors_are_one_line_and_exit_2(seeded: str) -> None:
    before = sql(seeded, "SELECT count(*) FROM recon.runs")
    line = one_error_line(run_cli("check", "--checks", "nope", dsn=seeded))
    assert "RC202" in line and "unknown check 'nope'" in line and "hint:" in line
    assert sql(seeded, "SELECT count(*) FROM recon.runs") == before  # nothing recorded

    for bad in (["check", "--fail-on", "SEVERE"], ["check", "--format", "xml"],
                ["check", "--limit", "-1"], ["report", "abc"], ["fix", "0"],
                ["fix", "--wallet-limit", "NaN"], ["frobnicate"]):
        line = one_error_line(run_cli(*bad, dsn=seeded))
        assert "error:" in line, bad
    assert sql(seeded, "SELECT count(*) FROM recon.runs") == before


def test_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    dead = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
    for command in (["check"], ["report"], ["fix"]):
        line = one_error_line(run_cli(*command, dsn=dead))
        assert "cannot connect to nobody@127.0.0.1:1/none" in line
    line = one_error_line(run_cli("check", env={"PGPASSWORD": ""}))
    assert "no database" in line


# -- report ------------------------------------------------------------------------------------

def test_report_latest_a_named_run_and_history(seeded: str) -> None:
    line = one_error_line(run_cli("report", dsn=seeded))
    assert "no reconcile run yet" in line

    drift(seeded, "50.00", 0, 1, 2)
    assert run_cli("check", dsn=seeded).returncode == 1
    run_cli("fix", "--apply", "--ticket", "T-1", "--reason", "test", "--yes",
            "--wallet-limit", "100", dsn=seeded)
    assert run_cli("check", dsn=seeded).returncode == 0
    (first, last) = sql(seeded, "SELECT min(id), max(id) FROM recon.runs")[0]

    proc = run_cli("report", dsn=seeded)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"wallet-recon report: run {last}\n")
    assert "synced" in proc.stdout and "recent runs (last 2)" in proc.stdout

    proc = run_cli("report", str(first), dsn=seeded)
    assert proc.returncode == 0
    assert f"findings of run {first} (state: as of now)" in proc.stdout
    assert "HIGH · s0_balance · 3 finding(s) · 150.00 ZAR" in proc.stdout
    assert proc.stdout.count(" resolved\n") + proc.stdout.count(" resolved ") >= 3
    assert "recent runs (last 1)" in proc.stdout  # history up to that run

    doc = decimal_json(run_cli("report", str(first), "--format", "json", dsn=seeded).stdout)
    assert doc["run"]["id"] == first
    assert {f["state"] for f in doc["findings"]} == {"resolved"}
    assert sum(f["difference"] for f in doc["findings"]) == Decimal("150.00")
    assert [h["id"] for h in doc["history"]] == [first]

    doc = decimal_json(run_cli("report", "--format", "json", "--history", "5",
                               dsn=seeded).stdout)
    assert [h["id"] for h in doc["history"]] == [last, first]

    line = one_error_line(run_cli("report", "99999", dsn=seeded))
    assert "run 99999 does not exist" in line


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_html_is_self_contained_and_escapes_user_data(seeded: str,
                                                             tmp_path: Path) -> None:
    drift(seeded, "5.00", 0)
    # a custom check whose wallet key and cause are hostile markup
    query = ("select '<script>alert(1)</script>' as wallet_key, 1 as stored, 0 as expected, "
             "1 as difference, jsonb_build_object('cause', '<img src=x onerror=alert(2)>') "
             "as details")
    sql(seeded, "SELECT recon.register_check('s0_markup', 'custom', %s)",
        (json.dumps({"query": query}),))
    for _ in range(3):
        run_cli("check", dsn=seeded)
    out = tmp_path / "report.html"
    proc = run_cli("report", "--format", "html", "--output", str(out), dsn=seeded)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and f"wrote {out}" in proc.stderr
    html = out.read_text()
    parser = _Tags()
    parser.feed(html)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "img" not in tags  # the markup stayed text
    assert "<script>alert(1)</script>" in "".join(parser.text)
    # self-contained: nothing loaded from elsewhere
    assert not [a for _, attrs in parser.tags for k, a in attrs.items()
                if k in ("src", "href") and a]
    # the two drift charts side by side: both in one grid container, before the trend
    grid = html.index('<div class="charts">')
    assert "display: grid" in html and "grid-template-columns: repeat(2" in html
    assert html.index("Drift by severity") > grid and html.index("Drift by check") > grid
    assert html.index("Drift by check") < html.index("Trend across runs")
    # the trend: findings, then the amount in each currency, each with a labelled y axis,
    # round ticks, and the run ids on the x axis
    labels = [t for t, a in parser.tags if t == "text"]
    assert labels
    units = {a.get("aria-label") for t, a in parser.tags if t == "svg"}
    assert {"findings per run", "drift, ZAR per run", "drift, (unknown currency) per run"} <= units
    assert "drift by severity, ZAR" in units and "drift by check, ZAR" in units
    assert [a for t, a in parser.tags if t == "text" and a.get("class") == "unit y-label"]
    text = "".join(parser.text)
    for run in sql(seeded, "SELECT id FROM recon.runs"):
        assert f"run {run[0]}:" in text  # each run's mark says its id
    # every amount with its currency: the markup check has none, and says so
    assert "5.00 ZAR" in text and "1 (unknown currency)" in text
    assert "1.00 ZAR" not in text
    # zero rows folded: the three checks that found nothing are one <details> line
    assert "3 other check(s): nothing found" in text
    assert "<details" in html
    quiet = html[html.index("<details"):html.index("</details>")]
    assert all(c in quiet for c in ("s0_chain", "s0_duplicates", "s0_orphans"))
    assert "s0_balance" not in quiet and "s0_markup" not in quiet
    # keys never wrap: the wallet cells carry the nowrap class, wide tables scroll
    assert ".key { white-space: nowrap" in html and ".scroll { overflow-x: auto" in html
    key_cells = [a for t, a in parser.tags if t == "td" and a.get("class") == "key"]
    assert len(key_cells) >= 2 * 2  # check and wallet of each finding
    assert "s0_markup" in html and "s0_balance" in html


# -- fix ---------------------------------------------------------------------------------------

@pytest.mark.core
def test_fix_dry_run_then_apply_with_audit_ids(seeded: str) -> None:
    keys = drift(seeded, "5.00", 0, 1)
    assert run_cli("check", dsn=seeded).returncode == 1
    before = state(seeded)

    proc = run_cli("fix", dsn=seeded)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(dry run):" in proc.stdout and "2 step(s): 2 planned (dry run: nothing written)" \
        in proc.stdout
    assert all(k in proc.stdout for k in keys)
    assert state(seeded) == before

    one_error_line(run_cli("fix", "--apply", dsn=seeded))  # no ticket, no reason
    line = one_error_line(run_cli("fix", "--apply", "--ticket", "T-7", "--reason", "r",
                                  dsn=seeded))  # standard input is not a terminal
    assert "without --yes" in line
    assert state(seeded) == before

    proc = run_cli("fix", "--apply", "--ticket", "T-7", "--reason", "drift", "--yes",
                   dsn=seeded)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 step(s): 2 applied" in proc.stdout
    audit = sql(seeded, "SELECT id, fix_id, wallet_key, ticket, strategy FROM recon.repairs "
                        "ORDER BY id")
    assert {a[2] for a in audit} == set(keys) and {a[3] for a in audit} == {"T-7"}
    assert f"audit ids: {', '.join(str(a[0]) for a in audit)}; in psql: SELECT * FROM " \
           f"recon.repairs WHERE fix_id = {audit[0][1]};" in proc.stdout

    # the same plan again: nothing is applied twice
    again = run_cli("fix", "--apply", "--ticket", "T-7", "--reason", "drift", "--yes",
                    dsn=seeded)
    assert again.returncode in (0, 1), again.stderr
    assert len(sql(seeded, "SELECT id FROM recon.repairs")) == 2
    assert run_cli("check", dsn=seeded).returncode == 0


def test_fix_exit_1_when_steps_are_left_for_a_person_and_json(seeded: str) -> None:
    drift(seeded, "5.00", 0)
    drift(seeded, "50.00", 1)  # above the default auto-fix wallet limit (10)
    run_cli("check", dsn=seeded)
    proc = run_cli("fix", "--format", "json", dsn=seeded)
    assert proc.returncode == 1, proc.stderr
    steps = decimal_json(proc.stdout)
    assert sorted((s["status"], s["amount"]) for s in steps) == [
        ("planned", Decimal("5.00")), ("skipped", Decimal("50.00"))]
    assert "auto-fix limit" in next(s["note"] for s in steps if s["status"] == "skipped")

    proc = run_cli("fix", "--format", "json", "--wallet-limit", "60", dsn=seeded)
    assert proc.returncode == 0
    assert {s["status"] for s in decimal_json(proc.stdout)} == {"planned"}

    proc = run_cli("fix", "--apply", "--ticket", "T-8", "--reason", "r", "--yes",
                   "--format", "json", "--checks", "s0_balance", dsn=seeded)
    assert proc.returncode == 1
    assert sorted(s["status"] for s in decimal_json(proc.stdout)) == ["applied", "skipped"]


def test_fix_asks_on_a_terminal(seeded: str) -> None:
    drift(seeded, "5.00", 0)
    run_cli("check", dsn=seeded)
    before = state(seeded)
    args = ["fix", "--apply", "--ticket", "T-9", "--reason", "r"]
    code, out, shown = run_in_pty(args, seeded, stdin_text="no\n")
    assert code == 1 and "Type 'yes' to go on" in shown  # cancelling is not an error
    assert "cancelled: nothing changed" in shown
    assert state(seeded) == before
    code, out, shown = run_in_pty(args, seeded, stdin_text="yes\n")
    assert code == 0, shown
    assert "1 step(s): 1 applied" in out
    assert sql(seeded, "SELECT ticket FROM recon.repairs") == [("T-9",)]


def test_fix_unknown_strategy_lists_the_strategies(seeded: str) -> None:
    drift(seeded, "5.00", 0)
    run_cli("check", dsn=seeded)
    line = one_error_line(run_cli("fix", "--strategy", "magic", dsn=seeded))
    assert "invalid choice: 'magic'" in line and "'resync'" in line and "'acknowledge'" in line


def answer_after_prompt(args: list[str], dsn: str, meanwhile: Callable[[], None]
                        ) -> tuple[int, str, str]:
    """Run wallet-recon on a terminal; when it asks for confirmation, run ``meanwhile`` (what
    happens while the operator reads the plan), then type yes."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": dsn}
    proc = subprocess.Popen([WALLET_RECON, *args], stdin=slave, stdout=subprocess.PIPE,
                            stderr=slave, env=env, text=True)
    os.close(slave)
    shown = b""
    while b"Type 'yes'" not in shown:
        ready, _, _ = select.select([master], [], [], 60)
        assert ready, shown
        shown += os.read(master, 65536)
    meanwhile()
    os.write(master, b"yes\n")
    out, _ = proc.communicate(timeout=120)
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return proc.returncode, out, shown.decode(errors="replace")


def test_fix_applies_the_plan_it_showed_not_a_newer_run(seeded: str) -> None:
    (a,) = drift(seeded, "5.00", 0)
    run_cli("check", dsn=seeded)

    def nightly_run() -> None:  # another wallet drifts and a reconcile finishes meanwhile
        drift(seeded, "6.00", 1)
        assert "2 finding(s)" in run_cli("check", dsn=seeded).stdout

    code, out, shown = answer_after_prompt(
        ["fix", "--apply", "--ticket", "T-10", "--reason", "a only"], seeded, nightly_run)
    assert code == 0, shown
    assert "1 step(s): 1 applied" in out
    assert sql(seeded, "SELECT wallet_key, amount FROM recon.repairs") == [(a, Decimal("5.00"))]


def test_fix_applies_nothing_when_the_plan_changed_after_it_was_shown(seeded: str) -> None:
    drift(seeded, "5.00", 0)
    (b,) = drift(seeded, "50.00", 1)  # above the default auto-fix wallet limit: shown skipped
    run_cli("check", dsn=seeded)
    before = []

    def colleague_raises_the_limit() -> None:  # while the operator reads the plan
        sql(seeded, "SELECT recon.set_fix_policy('s0_balance', '{\"wallet_limit\": 100}')")
        before.append(state(seeded))

    code, out, shown = answer_after_prompt(
        ["fix", "--apply", "--ticket", "T-11", "--reason", "r"], seeded,
        colleague_raises_the_limit)
    assert code == 2, (out, shown)
    assert "the plan changed after it was shown (1 step(s) differ, e.g. resync 50.00 on " \
           f"wallet {b} of check s0_balance): nothing applied" in shown
    assert state(seeded) == before[0]  # not even the shown step: the books moved, look again
    code, out, shown = answer_after_prompt(
        ["fix", "--apply", "--ticket", "T-11", "--reason", "r"], seeded, lambda: None)
    assert code == 0 and "2 step(s): 2 applied" in out, shown


# -- data printed to a terminal ----------------------------------------------------------------

ESCAPES_APP = (
    "CREATE SCHEMA app",
    "CREATE TABLE app.wallet (id text PRIMARY KEY, balance numeric(14, 2) NOT NULL, alias text)",
    "CREATE TABLE app.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "wallet_id text NOT NULL, amount numeric(14, 2) NOT NULL)",
    # customer-chosen: an alias that erases the line above it, a key that turns the text red
    "INSERT INTO app.wallet VALUES ('a', 100, E'@bob\\x1b[2K\\x1b[1A\\r'), "
    "(E'k\\x1b[31m', 50, E'tab\\there\\u202eevil')",
    "INSERT INTO app.entry (wallet_id, amount) VALUES ('a', 90), (E'k\\x1b[31m', 40)",
    "SELECT recon.register_wallet_source('w', 'app.wallet', 'id', ARRAY['balance'], "
    "'{\"label\": \"alias\"}')",
    "SELECT recon.register_ledger_source('l', 'w', 'app.entry', 'wallet_id', 'amount')",
    "SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\", \"currency\": \"USD\"}')",
)


def test_labels_and_keys_never_reach_the_terminal_as_control_characters(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    """A tester's finding: a wallet label (a customer's alias) or key holding ESC sequences was
    printed raw by check, report and fix (text and markdown): the data could erase lines of the
    operator's findings table. Now every control character is shown escaped (\\x1b), JSON stays
    exact JSON (the strings as they are, escaped by JSON)."""
    dsn = make_db(fixture_template(sql=ESCAPES_APP))
    outputs = []
    for args in (["check"], ["check", "--format", "markdown"], ["report"],
                 ["report", "--format", "markdown"], ["fix"], ["fix", "--format", "markdown"]):
        proc = run_cli(*args, dsn=dsn)
        assert proc.returncode in (0, 1), (args, proc.stderr)
        out = proc.stdout
        bad = [c for c in out if (ord(c) < 32 and c != "\n") or 0x7f <= ord(c) < 0xa0
               or c == "\u202e"]
        assert not bad, (args, bad)
        assert "k\\x1b[31m" in out, (args, out)  # the key, as its text
        if args[0] != "fix":  # fix shows keys, not labels
            assert "a (@bob\\x1b[2K\\x1b[1A\\x0d)" in out, (args, out)
            assert "tab\\x09here\\u202eevil" in out, (args, out)
        outputs.append(out)
    # the columns of the table still line up: the escapes are counted in the widths
    table = outputs[0].split("open findings of the checks that ran")[1].splitlines()
    rows = [line.rstrip() for line in table if line.startswith("  ") and line.strip()]
    assert len(rows) == 4 and rows[2].endswith("10.00") and rows[3].endswith("10.00"), rows
    assert len(rows[2]) == len(rows[3]), rows
    # JSON: exact, the data as it is
    doc = decimal_json(run_cli("check", "--format", "json", dsn=dsn).stdout)
    labels = {f["wallet_key"]: f["details"].get("label") for f in doc["open_findings"]}
    assert labels == {"a": "@bob\x1b[2K\x1b[1A\r", "k\x1b[31m": "tab\there\u202eevil"}, labels
