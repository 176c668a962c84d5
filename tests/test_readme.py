"""The README as a reader meets it: at most 12,000 bytes, and its psql quick start run exactly
as written (its SQL blocks in order, search_path included) against the seed it names, with the
findings, plan and results it prints; docs/CLI.md names every command and option."""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from migrator.cluster import find_bindir

from conftest import ROOT, decimal_json, load_fixture, run_cli

README = (ROOT / "README.md").read_text()


def section(title: str, text: str = README) -> str:
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


QUICK = "Quick start in psql, on your own tables"


def test_readme_is_a_door_not_a_manual() -> None:
    size = len(README.encode())
    assert 4_000 <= size <= 12_000, size
    titles = re.findall(r"^## (.+)$", README, re.M)
    assert titles == ["The two commands", QUICK, "Adopting it", "Commands", "More"]
    for link in re.findall(r"\]\(([^)#]+)", README):  # every link resolves in a clone
        assert (ROOT / link).exists(), link


def quick_start(db: str) -> psycopg.Connection:
    """A connection to db after the quick start's registration and breakage, run as written
    (on the seed it names, loaded into the database as the README says)."""
    registration = doc_block("README.md", "SET search_path = seed000, public;")
    breakage = doc_block("README.md", "INSERT INTO payment_intent VALUES ('pi_missing'")
    assert registration.startswith("SET search_path = seed000, public;")
    load_fixture(db, "seed000.sql")
    c = psycopg.connect(db, autocommit=True)
    c.execute(registration.encode())
    c.execute(breakage.encode())
    return c


def test_readme_finding_drift_example_is_true(db: str) -> None:
    text = section(QUICK)
    table = re.search(r"open_findings;\n(.*?)```", text, re.S).group(1)
    expected = []
    for line in table.splitlines()[2:]:  # header and rule first
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 7:
            check, key, severity, cause, stored, exp, diff = cells
            expected.append((check, key, severity, cause or None, Decimal(stored), Decimal(exp),
                             Decimal(diff)))
    assert len(expected) == 3

    amounts = re.search(r"WHERE id = 1;\n.*?\n-[-+]*\n(.*?)\n```", text, re.S).group(1)
    per_currency = [tuple(c.strip() for c in line.split("|")) for line in amounts.splitlines()]
    assert per_currency == [("ZAR", "90.50", "1")]
    query = re.search(r"app=# (SELECT c ->> 'currency'.*?);\n", text, re.S).group(1)

    with quick_start(db) as c:
        assert c.execute("SELECT recon.reconcile() ->> 'status'").fetchone()[0] == "discrepancy"
        rows = c.execute("SELECT check_name, wallet_key, severity, cause, stored, expected,"
                         " difference FROM recon.open_findings").fetchall()
        decimal_json(c)  # the JSON numbers as psql shows them
        got = c.execute(re.sub(r"\napp-#", "\n", query)).fetchall()
    assert rows == expected
    assert [(cur, str(amount), str(explained)) for cur, amount, explained in got] \
        == per_currency


def test_readme_repair_example_is_true(db: str) -> None:
    text = section(QUICK)
    writer = doc_block("README.md", "SELECT recon.register_writer('ledger'")
    plan_table = re.search(r"wallet_limit => 100\);\n(.*?)\n\napp=#", text, re.S).group(1)
    expected = []
    for line in plan_table.splitlines()[2:]:
        cells = [c.strip() for c in line.split("|")]
        expected.append((int(cells[0]), cells[1], cells[2], cells[3], Decimal(cells[4]), cells[5],
                         Decimal(cells[6]), Decimal(cells[7]), cells[8] or None))
    assert len(expected) == 3
    apply = re.search(r"app=# (SELECT step, strategy, status, repair_id FROM .*?);\n", text,
                      re.S).group(1)
    apply = re.sub(r"\napp-#", "\n", apply)
    applied = re.search(r"repair_id\n-+\+.*?\n(.*?)\n\n", text, re.S).group(1)
    expected_applied = [tuple(c.strip() for c in line.split("|"))
                        for line in applied.splitlines()]

    with quick_start(db) as c:
        c.execute("SELECT recon.reconcile()")
        c.execute(writer.encode())
        plan = c.execute("SELECT step, check_name, left(wallet_key, 8), strategy, amount, status,"
                         " (stored_before ->> 'balance')::numeric,"
                         " (stored_after ->> 'balance')::numeric, note"
                         " FROM recon.fix(wallet_limit => 100)").fetchall()
        assert plan == expected
        rows = c.execute(apply).fetchall()
        assert [tuple(str(v) for v in r) for r in rows] == expected_applied
        assert [r[2] for r in rows] == ["applied", "applied", "covered"]
        assert c.execute("SELECT recon.reconcile() ->> 'status'").fetchone()[0] == "synced"


def test_readme_guard_and_uninstall_examples_run(db: str) -> None:
    guard = doc_block("README.md", "SELECT recon.enable_guard('drift', 'ledger'")
    disable = doc_block("README.md", "SELECT recon.disable_guard(kind, target) FROM recon.guards;")
    with quick_start(db) as c:
        c.execute("SELECT recon.reconcile()")  # the drift is already there; the guard is not
        c.execute(guard.encode())
        assert c.execute("SELECT kind, mode FROM recon.guards").fetchall() == [("drift", "block")]
        with pytest.raises(psycopg.Error) as err:  # a balance moved without its entry
            c.execute("UPDATE wallet_account SET balance = balance + 1"
                      " WHERE id = md5('wallet1')::uuid")
        assert err.value.sqlstate == "RC401"
        c.execute(disable.encode())
        assert c.execute("SELECT count(*) FROM recon.guards").fetchone()[0] == 0
        c.execute("UPDATE wallet_account SET balance = balance + 1"
                  " WHERE id = md5('wallet1')::uuid")  # no trigger left
    proc = run_cli("uninstall", "--yes", dsn=db)  # what the README runs next
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(db) as c:
        assert c.execute("SELECT count(*) FROM pg_namespace WHERE nspname IN"
                         " ('recon', '_recon')").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM pg_trigger t JOIN pg_class r ON r.oid = tgrelid"
                         " WHERE r.relnamespace = 'seed000'::regnamespace"
                         " AND NOT tgisinternal").fetchone()[0] == 0


def test_cli_doc_documents_every_command_and_option() -> None:
    """docs/CLI.md names every subcommand and every option the CLI accepts."""
    from migrator.cli import build_parser

    text = (ROOT / "docs" / "CLI.md").read_text()
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    missing = []
    for name, command in sub.choices.items():
        if f"`{name}" not in text and f"`install`, `{name}" not in text:
            missing.append(name)
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help" and option not in text:
                    missing.append(f"{name} {option}")
    assert not missing, missing
    for code in ("**2**", "**130**", "| 0 current, 1 anything is not |"):
        assert code in text


# --- the README's set-up commands, word for word, in a fresh clone ---------------------------

SETUP_USER = "wallet-recon-readme"  # the ordinary user, created for the test when run as root
# Not run here: the suite itself and the matrix (they are what runs this test), and the plain
# demo, which `./scripts/demo --keep` runs again with the server kept.
NOT_RUN = ("./scripts/test", "./scripts/matrix", "./scripts/demo")
WHO = ["root", "ordinary user"] if os.geteuid() == 0 else ["ordinary user"]


def readme_commands() -> list[str]:
    """Every command of the README's console blocks, in order, as written."""
    lines = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        lines += [line for line in block.splitlines() if line.strip()]
    return lines


def _ordinary_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SETUP_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--shell", "/bin/bash", "--no-create-home",
                        SETUP_USER], check=True, capture_output=True)
        return pwd.getpwnam(SETUP_USER)


def _clone(dest: Path) -> None:
    """git clone of this checkout, with its working tree's files on top (what is tested is
    what is here, committed or not)."""
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True, capture_output=True)
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], check=True, capture_output=True,
                           text=True).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)


def _stop(out: str, shell: list[str], tmp: Path) -> None:
    """Stop the kept demo server with the command the demo printed, as pasted; then make sure
    that no server is left under tmp (the demo's TMPDIR), whatever happened before: one still
    running (the command failed, or the demo never printed it) is stopped here, and fails."""
    printed = re.search(r"^stop it with: (.+)$", out, re.M)
    stopped = None
    if printed:
        stopped = subprocess.run([*shell, "bash", "-c", printed.group(1)], capture_output=True,
                                 text=True, timeout=120, cwd="/")
    left = sorted(tmp.glob("*/*/postmaster.pid"))
    for pid in left:
        owner = pwd.getpwuid(pid.stat().st_uid).pw_name
        cmd = [str(find_bindir() / "pg_ctl"), "-D", str(pid.parent), "-m", "immediate", "-w",
               "stop"]
        subprocess.run(["runuser", "-u", owner, "--", *cmd] if os.geteuid() == 0 else cmd,
                       capture_output=True, timeout=120)
    assert printed, "the demo printed no stop command"
    assert stopped.returncode == 0 and not left, (stopped.stdout, stopped.stderr, left)
    assert list(tmp.iterdir()) == []  # stopped and removed


@pytest.mark.slow
@pytest.mark.parametrize("who", WHO)
def test_readme_setup_commands_run_word_for_word(who: str) -> None:
    """A fresh clone, owned by whoever runs it; the README's console commands run there in
    order, as written, by a login-less shell with a stock PATH: `./scripts/demo --keep`, then
    the rest with URL set to the connection string it printed (check, report, the install into
    a virtualenv in ~/.venvs, install, status, the audit export, uninstall)."""
    commands = readme_commands()
    assert commands[:3] == ["./scripts/demo     # the whole product in a minute: four seed "
                            "applications, their drift, repaired",
                            "./scripts/test     # the whole test suite, lint included (about 7 "
                            "minutes on 2 cores)",
                            "./scripts/matrix   # the core tests on PostgreSQL 14 to 18 and "
                            "every encoding (CI runs both)"]
    run = [c for c in commands if c.split("#")[0].strip() not in NOT_RUN]
    assert run[0] == "./scripts/demo --keep", run
    assert any(c.startswith("./scripts/wallet-recon check --database") for c in run)
    assert any(c.startswith("python3 -m venv ~/.venvs/") for c in run)

    base = Path(tempfile.mkdtemp(prefix="wallet-recon-readme-"))
    base.chmod(0o755)
    home, clone, tmp = base / "home", base / "wallet-recon", base / "tmp"
    home.mkdir()
    tmp.mkdir(mode=0o755)  # the demo's TMPDIR: where its server lives, checked at the end
    _clone(clone)
    as_user: list[str] = []
    if who == "ordinary user" and os.geteuid() == 0:
        user = _ordinary_user()
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(base)], check=True)
        as_user = ["runuser", "-u", SETUP_USER, "--"]
    env = {k: v for k, v in os.environ.items()
           if k.startswith("PIP_") or k.lower().endswith("_proxy")}
    env.update(HOME=str(home), LANG="C.UTF-8", TMPDIR=str(tmp),
               PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    shell = [*as_user, "env", "-i", *(f"{k}={v}" for k, v in env.items())]
    demo_out = ""
    try:
        demo = subprocess.run([*shell, "bash", "-c", run[0]], cwd=clone, capture_output=True,
                              text=True, timeout=900)
        demo_out = demo.stdout
        assert demo.returncode == 0, demo.stdout + demo.stderr
        url = re.search(r"the server keeps running: psql '([^']+)'", demo.stdout).group(1)
        script = "set -euxo pipefail\n" + "\n".join(run[1:]) + "\n"
        proc = subprocess.run([*shell, f"URL={url}", "bash", "-c", script], cwd=clone,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "OK: nothing open at or above MEDIUM" in proc.stdout  # check, after the demo
        assert "<svg" in (clone / "recon.html").read_text()  # report
        assert (home / ".venvs" / "wallet-recon" / "bin" / "wallet-recon").exists()
        audit = (clone / "repairs.csv").read_text().splitlines()
        assert audit[0].startswith("id,") and len(audit) > 30  # the demo's repairs, exported
        with psycopg.connect(url) as c:  # uninstalled, the demo's own tables left
            assert c.execute("SELECT count(*) FROM pg_namespace WHERE nspname IN"
                             " ('recon', '_recon')").fetchone()[0] == 0
            assert c.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE"
                             " 'recon\\_demo\\_%'").fetchone()[0] == 4
    finally:
        try:
            _stop(demo_out, shell, tmp)
        finally:
            shutil.rmtree(base, ignore_errors=True)


# --- every psql example in the README and docs/: run as written --------------------------------
#
# An example is a ```sql block that ends in a semicolon (trailing comments aside); a function's
# signature (docs/API.md, CHECKS.md) or an excerpt of a compiled view (SCALING.md, "...") does
# not, and is not one. Each example is found by a piece of its text (never by its position, so
# that a block added above it changes nothing) and run here, with what it needs before it, or
# by the test named in ELSEWHERE, which reads it from the doc itself.

DOCS = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]


def sql_examples(doc: str) -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", (ROOT / doc).read_text(), re.S)
    return [b for b in blocks if re.sub(r"--[^\n]*", "", b).strip().endswith(";")]


def doc_block(doc: str, marker: str) -> str:
    """The one psql example of doc that contains marker."""
    found = [b for b in sql_examples(doc) if marker in b]
    assert len(found) == 1, f"{doc}: {len(found)} examples contain {marker!r}"
    return found[0]


S0 = ("seed000.sql", "seed000_register.sql")
S1 = ("seed001.sql", "seed001_register.sql")
S2 = ("seed002.sql", "seed002_register.sql")
S3 = ("seed003.sql", "seed003_register.sql")
DUPLICATE = ("INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount, balance_after,"
             " reference, posted_at) SELECT md5('dup')::uuid, t.wallet_id, 'CREDIT', t.amount,"
             " w.balance + t.amount, t.reference, timestamptz '2026-01-06 00:00:00+00'"
             " FROM seed000.wallet_transaction t JOIN seed000.wallet_account w"
             " ON w.id = t.wallet_id WHERE t.reference = 'pi_5_1';"
             " SELECT recon.register_writer('s0_ledger', '{\"columns\": {\"id\": \"{uuid}\","
             " \"type\": \"ADJUSTMENT\", \"description\": \"{description}\"}}')")


def registered(check: str) -> tuple[str, str]:
    """(before, after) of a register_check example: the seed registers the same check, which
    is dropped first; after, the check is there and its view answers."""
    return (f"SELECT recon.drop_check('{check}')",
            f"SELECT count(*) = 1 FROM recon.checks WHERE name = '{check}'")


def _od_schema() -> str:
    from test_overdraft import SCHEMA
    return SCHEMA


# (doc, marker, fixtures, SQL before, SQL after that returns true, or the error it shows)
EXAMPLES = [
    # enable a guard, list it, drop it: none left
    ("docs/GUARDS.md", "SELECT recon.disable_guard('drift', 's0_ledger');", S0, "",
     "SELECT count(*) = 0 FROM recon.guards"),
    # a partition created under a guarded ledger gets its triggers (CHECKS.md's ledger first)
    ("docs/GUARDS.md", "CREATE TABLE led.entry_2026_12", (),
     ("CHECKS.md:CREATE SCHEMA led;",),
     "SELECT count(*) > 0 FROM pg_trigger WHERE tgrelid = 'led.entry_2026_12'::regclass"),
    # a drift guard on a view over a join: refused, as both docs show
    # (GUARDS.md's after CHECKS.md's, which defines the view)
    ("docs/GUARDS.md", "SELECT recon.enable_guard('drift', 'vj');", (),
     ("CHECKS.md:CREATE SCHEMA vl;", "CHECKS.md:CREATE VIEW vl.joined"),
     "ERROR: a drift guard on vj cannot guard vl.joined"),
    ("docs/CHECKS.md", "CREATE VIEW vl.joined", (), ("CHECKS.md:CREATE SCHEMA vl;",),
     "ERROR: a drift guard on vj cannot guard vl.joined"),
    # a ledger shape is a row: the transfer shape, as installed
    ("docs/CHECKS.md", "INSERT INTO _recon.ledger_shape", (),
     "DELETE FROM _recon.ledger_shape WHERE shape = 'transfer'",
     "SELECT count(*) = 1 FROM _recon.ledger_shape WHERE shape = 'transfer'"),
    # each kind's registration on the seed it names
    ("docs/CHECKS.md", "'s2_locked', 'derived'", S2, *registered("s2_locked")),
    ("docs/CHECKS.md", "'s3_treasury', 'total'", S3, *registered("s3_treasury")),
    ("docs/CHECKS.md", "'s3_coverage', 'coverage'", S3, *registered("s3_coverage")),
    ("docs/CHECKS.md", "'s0_duplicates', 'duplicate'", S0, *registered("s0_duplicates")),
    ("docs/CHECKS.md", "'s0_orphans', 'orphan'", S0, *registered("s0_orphans")),
    ("docs/CHECKS.md", "'s0_chain', 'chain'", S0, *registered("s0_chain")),
    ("docs/CHECKS.md", "'s3_double_entry', 'journal'", S3, *registered("s3_double_entry")),
    ("docs/CHECKS.md", "'s1_holds', 'lifecycle'", S1, *registered("s1_holds")),
    # recon.fix with every argument named, on the latest run: a dry run, nothing audited
    ("docs/REPAIRS.md", "run_id         => NULL", S0, "SELECT recon.reconcile()",
     "SELECT count(*) = 0 FROM recon.repairs"),
    # the overdraft exemptions, on tests/test_overdraft.py's wallets: world's is taken back
    ("docs/REPAIRS.md", "SELECT recon.allow_overdraft('od_wallets', wallet => 'world',", (),
     "OD", "SELECT count(*) = 2 FROM recon.overdraft_exemptions"),
    # both writers, on seeds 000 and 003
    ("docs/REPAIRS.md", "SELECT recon.register_writer('s3_journal'",
     (*S0, *S3, "seed003_writer.sql"), "",
     "SELECT count(*) = 2 FROM _recon.writer"),
    # a forged reversal hides nothing; the toolkit's reversal is recorded, and undone
    ("docs/REPAIRS.md", "-- a forged reversal of the duplicate", S0, DUPLICATE,
     "SELECT count(*) = 2 FROM recon.repairs WHERE ticket = 'INC-13'"),
    # backfill seed 003's missing wallets: the plan, then applied (a fix recorded; the clean
    # seed misses none)
    ("docs/REPAIRS.md", "SELECT recon.backfill('s3_coverage');", (*S3, "seed003_writer.sql"), "",
     "SELECT count(*) = 1 FROM _recon.fix WHERE ticket = 'INC-30'"),
]

# Run by the test file named, which reads the example from the doc and checks what it shows.
ELSEWHERE = {
    ("docs/CHECKS.md", "CREATE TABLE wallet (id text PRIMARY KEY"): "test_legs.py",
    ("docs/CHECKS.md", "CREATE TABLE balance (id text PRIMARY KEY"): "test_legs.py",
    ("docs/CHECKS.md", "CREATE TABLE account (id integer PRIMARY KEY"): "test_legs.py",
    ("docs/CHECKS.md", "CREATE SCHEMA led;"): "test_legs.py",
    ("docs/CHECKS.md", "CREATE SCHEMA vl;"): "test_legs.py",
    ("docs/CHECKS.md", "CREATE SCHEMA bl;"): "test_minor_units.py",
    ("docs/CHECKS.md", "CREATE SCHEMA my_kinds;"): "test_check_kinds.py",
    ("docs/CHECKS.md", "INSERT INTO _recon.check_kind"): "test_check_kinds.py",
    ("docs/CHECKS.md", "'s0_floor', 'below_floor'"): "test_check_kinds.py",
    ("docs/REPAIRS.md", "lf.recon_post(jsonb)"): "test_ledger_first.py",
    # the README's quick start: the tests above
    ("README.md", "SET search_path = seed000, public;"): "test_readme.py",
    ("README.md", "INSERT INTO payment_intent VALUES ('pi_missing'"): "test_readme.py",
    ("README.md", "SELECT recon.register_writer('ledger'"): "test_readme.py",
    ("README.md", "SELECT recon.enable_guard('drift', 'ledger'"): "test_readme.py",
    ("README.md", "SELECT recon.disable_guard(kind, target) FROM recon.guards;"): "test_readme.py",
}

# Examples that cannot run as written here, each with the reason (their owners are told).
CANNOT_RUN = {
    # a placeholder id ('...') for the row to change; needs an append_only guard first
    ("docs/GUARDS.md", "SELECT recon.allow_ledger_change('s0_ledger', 'INC-77'"):
        "its UPDATE names the row as '...'",
    # pg_cron schedules in one database of the cluster (tests/test_guards.py's cron_db)
    ("docs/GUARDS.md", "SELECT recon.schedule_reconcile();"): "needs pg_cron's own database",
}


def test_every_psql_example_in_the_docs_is_run() -> None:
    """Each example of the README and docs/ is claimed once: run here, by the test named (which
    reads that doc), or listed with the reason it cannot run."""
    claimed = [(d, m) for d, m, *_ in EXAMPLES] + list(ELSEWHERE) + list(CANNOT_RUN)
    for doc, marker in claimed:
        doc_block(doc, marker)  # exactly one example contains it
    for doc, test in ELSEWHERE.items():
        assert doc[0].split("/")[-1] in (ROOT / "tests" / test).read_text(), (doc, test)
    unclaimed = [(doc, block[:80]) for doc in DOCS for block in sql_examples(doc)
                 if sum(m in block for d, m in claimed if d == doc) != 1]
    assert not unclaimed, unclaimed
    assert len(claimed) == len(set(claimed))


@pytest.mark.parametrize(("doc", "marker", "fixtures", "before", "after"), EXAMPLES,
                         ids=[f"{d.split('/')[-1]}:{m[:40]}" for d, m, *_ in EXAMPLES])
def test_docs_sql_examples_run_as_written(db: str, doc: str, marker: str,
                                          fixtures: tuple[str, ...], before: str | tuple[str, ...],
                                          after: str) -> None:
    if fixtures:
        load_fixture(db, *fixtures)
    example = doc_block(doc, marker)
    with psycopg.connect(db, autocommit=True) as c:
        for step in (before,) if isinstance(before, str) else before:
            if step == "OD":
                step = _od_schema()
            elif step.startswith("CHECKS.md:"):  # the doc's example before it
                step = doc_block("docs/CHECKS.md", step.split(":", 1)[1])
                if "vj" in step:  # up to the statement shown failing
                    step = step.split("SELECT recon.enable_guard")[0]
            if step:
                with c.cursor() as cur:
                    cur.execute(step.encode())
                    while cur.nextset():
                        pass
        if after.startswith("ERROR: "):
            with pytest.raises(psycopg.Error) as err:
                c.execute(example.encode())
            assert err.value.diag.message_primary == after.removeprefix("ERROR: ")
            return
        with c.cursor() as cur:
            cur.execute(example.encode())
            while cur.nextset():
                pass
        assert c.execute(after).fetchone()[0] is True
