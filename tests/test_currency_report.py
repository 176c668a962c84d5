"""Amounts per currency, never added across currencies (issue 15, items 2 and 5).

One wallet table holds BTC (8 decimal places), JPY (0), USD (2) and a wallet of unknown
currency (NULL), with drift in each (tests/fixtures/currency.sql). The reconcile summary,
recon.runs, the CLI (json, text, markdown; as a subprocess) and the HTML report give each
currency's figures exactly, at its scale, and no sum across currencies anywhere; a balance drift
explained by an orphaned payment (the same money) is counted once; the one-hour pattern rule
gives the same severity under two session time zones.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import pytest

from conftest import decimal_json, rows, run, run_cli

pytestmark = pytest.mark.major  # the matrix runs it once per major (pyproject.toml)

D = Decimal

# The drift, per wallet: stored balance minus what the ledger says.
DRIFT = {"btc1": "0.5", "btc2": "-0.00012345", "jpy1": "15492", "jpy2": "-1000",
         "usd1": "28551.5", "usd2": "-0.25", "x1": "7"}
# usd3: a payment of 40.00 completed and credited to the stored balance, never posted: a balance
# finding of 40.00 explained by the orphan finding of -40.00 (the same money, counted once).
ORPHAN = D("40.00")

# Each currency's amount, each sum of money once, at the currency's scale (as JSON text).
AMOUNTS = {"BTC": "0.50012345", "JPY": "16492", "USD": "28591.75", None: "7"}
BY_SEVERITY = {
    "BTC": {"HIGH": {"findings": 2, "explained": 0, "amount": "0.50012345"}},
    "JPY": {"HIGH": {"findings": 2, "explained": 0, "amount": "16492"}},
    # usd1, usd2, usd3 (balance, HIGH: eight wallets) and the orphan (one wallet, MEDIUM)
    "USD": {"HIGH": {"findings": 3, "explained": 1, "amount": "28551.75"},
            "MEDIUM": {"findings": 1, "explained": 0, "amount": "40.00"}},
    None: {"HIGH": {"findings": 1, "explained": 0, "amount": "7"}},
}


def forbidden_sums() -> set[Decimal]:
    """Every sum of two or more currencies' amounts (by currency, and by currency and
    severity), and the USD total counting usd3's 40.00 twice: none may appear anywhere."""
    totals = [D(a) for a in AMOUNTS.values()]
    out = {sum(c, D(0)) for n in range(2, len(totals) + 1)
           for c in itertools.combinations(totals, n)}
    per_sev: dict[str, list[Decimal]] = {}
    for sevs in BY_SEVERITY.values():
        for sev, v in sevs.items():
            per_sev.setdefault(sev, []).append(D(v["amount"]))
    out |= {sum(v, D(0)) for v in per_sev.values() if len(v) > 1}
    out.add(D(AMOUNTS["USD"]) + ORPHAN)  # the orphan's money counted twice
    out |= {t + ORPHAN for t in out}
    return out


def numbers(text: str) -> set[Decimal]:
    """Every number written in a text (thousands separators removed)."""
    return {D(m.replace(",", "")) for m in re.findall(r"-?\d[\d,]*(?:\.\d+)?", text)}


def assert_no_cross_currency_sum(text: str) -> None:
    found = numbers(text) & forbidden_sums()
    assert not found, found


@pytest.fixture
def drifted(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    dsn = make_db(fixture_template("currency.sql"))
    with psycopg.connect(dsn, autocommit=True) as c:
        for wallet, amount in DRIFT.items():
            c.execute("UPDATE cur.wallet SET balance = balance + %s::numeric WHERE id = %s",
                      (amount, wallet))
        c.execute("INSERT INTO cur.payment VALUES ('p1', 'usd3', 40.00, 'COMPLETED')")
        c.execute("UPDATE cur.wallet SET balance = balance + 40.00 WHERE id = 'usd3'")
    return dsn


def by_currency_text(dsn: str, run_id: int) -> tuple[list[dict], list[dict]]:
    """The summary's by_currency and recon.runs' by_currency of a run, numbers as their JSON
    text (so the scale is seen)."""
    (row,) = rows(dsn, "SELECT summary -> 'by_currency' AS s, by_currency AS r FROM recon.runs "
                       "WHERE id = %s", (run_id,))
    return row["s"], row["r"]


def reconcile_text(dsn: str) -> dict:
    """SELECT recon.reconcile(), its JSON numbers as Decimal (their scale kept)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        decimal_json(c)
        return c.execute("SELECT recon.reconcile()").fetchone()[0]


def test_summary_and_runs_give_each_currency_exactly_and_never_a_sum(drifted: str) -> None:
    summary = reconcile_text(drifted)
    assert summary["findings"] == 9 and summary["max_severity"] == "HIGH"
    got = {c["currency"]: c for c in summary["by_currency"]}
    assert [c["currency"] for c in summary["by_currency"]] == ["BTC", "JPY", "USD", None]
    for currency, amount in AMOUNTS.items():
        c = got[currency]
        assert str(c["amount"]) == amount, (currency, c)  # exact, at the currency's scale
        assert {s: {"findings": v["findings"], "explained": v["explained"],
                    "amount": str(v["amount"])} for s, v in c["by_severity"].items()} \
            == BY_SEVERITY[currency]
    assert {c: got[c]["minor_units"] for c in got} == {"BTC": 8, "JPY": 0, "USD": 2, None: None}
    assert got["USD"]["findings"] == 4 and got["USD"]["explained"] == 1
    # no amount added across currencies: by_severity and by_check keep counts only
    assert summary["by_severity"] == {"HIGH": {"findings": 8}, "MEDIUM": {"findings": 1}}
    assert all("amount" not in v for v in summary["by_check"].values())
    # by check, each check's own findings (usd3's explained drift counts in its check)
    assert {(c["currency"], str(c["amount"]))
            for c in summary["by_check"]["cur_balance"]["by_currency"]} == {
        ("BTC", "0.50012345"), ("JPY", "16492"), ("USD", "28591.75"), (None, "7")}
    assert [(c["currency"], str(c["amount"]))
            for c in summary["by_check"]["cur_orphans"]["by_currency"]] == [("USD", "40.00")]
    assert_no_cross_currency_sum(json.dumps(summary, default=str))

    # recon.runs: the same amounts, in the same JSON text
    in_summary, in_runs = by_currency_text(drifted, summary["run_id"])
    assert in_runs == in_summary
    (row,) = rows(drifted, "SELECT by_currency::text AS t, summary::text AS s FROM recon.runs")
    assert '"amount": 0.50012345' in row["t"] and '"amount": 28591.75' in row["t"]
    assert_no_cross_currency_sum(row["t"] + row["s"])


def test_findings_carry_their_currency_and_what_explains_them(drifted: str) -> None:
    reconcile_text(drifted)
    found = rows(drifted, "SELECT id, check_name, wallet_key, currency, explained_by, difference"
                          " FROM recon.open_findings ORDER BY check_name, wallet_key")
    currency = {(f["check_name"], f["wallet_key"]): f["currency"] for f in found}
    assert currency == {
        ("cur_balance", "btc1"): "BTC", ("cur_balance", "btc2"): "BTC",
        ("cur_balance", "jpy1"): "JPY", ("cur_balance", "jpy2"): "JPY",
        ("cur_balance", "usd1"): "USD", ("cur_balance", "usd2"): "USD",
        ("cur_balance", "usd3"): "USD", ("cur_balance", "x1"): None,  # unknown, never guessed
        ("cur_orphans", "usd3"): "USD"}
    orphan = next(f for f in found if f["check_name"] == "cur_orphans")
    explained = {(f["check_name"], f["wallet_key"]): f["explained_by"] for f in found}
    assert explained.pop(("cur_balance", "usd3")) == [orphan["id"]]
    assert set(explained.values()) == {None}
    # recon.run_findings says the same for that run
    assert rows(drifted, "SELECT explained_by FROM recon.run_findings WHERE wallet_key = 'usd3' "
                         "AND check_name = 'cur_balance'") == [{"explained_by": [orphan["id"]]}]


def test_a_fixed_currency_is_the_default_and_a_wallets_own_wins(drifted: str) -> None:
    # the check's currency option: for the wallets whose currency is NULL, not for the others
    run(drifted, "SELECT recon.register_check('cur_fixed', 'balance',"
                 " '{\"ledger\": \"cur_ledger\", \"currency\": \"USD\"}')")
    reconcile_text(drifted)
    got = {r["wallet_key"]: r["currency"] for r in rows(
        drifted, "SELECT wallet_key, currency FROM recon.open_findings "
                 "WHERE check_name = 'cur_fixed'")}
    assert got["x1"] == "USD" and got["btc1"] == "BTC" and got["jpy1"] == "JPY"


def test_a_total_explained_by_missing_wallets_is_counted_once(drifted: str) -> None:
    # owners, two without a wallet holding 5 and 6; the treasury short by exactly that
    run(drifted,
        "CREATE TABLE cur.owner (id text PRIMARY KEY, wallet text, coins numeric NOT NULL)",
        "ALTER TABLE cur.wallet ADD COLUMN owner text",
        "UPDATE cur.wallet SET owner = 'o-' || id",
        "INSERT INTO cur.owner SELECT 'o-' || id, id, 0 FROM cur.wallet",
        "INSERT INTO cur.owner VALUES ('o-new1', NULL, 5), ('o-new2', NULL, 6)",
        "CREATE TABLE cur.treasury (total numeric NOT NULL)",
        "CREATE TABLE cur.issued (total numeric NOT NULL)",
        "INSERT INTO cur.treasury VALUES (100)", "INSERT INTO cur.issued VALUES (111)",
        "SELECT recon.register_check('cur_coverage', 'coverage', '{\"wallet\": \"cur_wallets\","
        " \"owner_table\": \"cur.owner\", \"owner_key\": \"id\", \"owner_balance\": \"coins\","
        " \"wallet_column\": \"owner\", \"currency\": \"COIN\"}')",
        "SELECT recon.register_check('cur_treasury', 'total', '{\"stored\": {\"table\":"
        " \"cur.treasury\", \"column\": \"total\"}, \"expected\": {\"table\": \"cur.issued\","
        " \"column\": \"total\"}, \"currency\": \"COIN\"}')")
    summary = reconcile_text(drifted)
    coin = next(c for c in summary["by_currency"] if c["currency"] == "COIN")
    # 5 + 6 once (the coverage findings), not 22 (the treasury's 11 again)
    assert (coin["findings"], coin["explained"], str(coin["amount"])) == (3, 1, "11")
    (total,) = rows(drifted, "SELECT cause, explained_by FROM recon.open_findings "
                             "WHERE check_name = 'cur_treasury'")
    coverage = [r["id"] for r in rows(drifted, "SELECT id FROM recon.open_findings WHERE "
                                               "check_name = 'cur_coverage' ORDER BY id")]
    assert total == {"cause": "missing_wallet", "explained_by": coverage}
    # the USD figures are as before: the coverage check's owner keys name no wallet
    usd = next(c for c in summary["by_currency"] if c["currency"] == "USD")
    assert str(usd["amount"]) == AMOUNTS["USD"]


def table_rows(text: str, first: str) -> list[list[str]]:
    """The rows of a terminal table whose first column header is ``first``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(first + " "))
    spans = [m.span() for m in re.finditer(r"-+", lines[start + 1])]  # the ---- line
    out = []
    for line in lines[start + 2:]:
        if not line.strip():
            break
        out.append([line[a:b].strip() for a, b in spans])
    return out


def test_cli_check_json_text_and_markdown(drifted: str) -> None:
    proc = run_cli("check", "--format", "json", dsn=drifted)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout, parse_float=D)
    assert {c["currency"]: str(c["amount"]) for c in doc["run"]["by_currency"]} == AMOUNTS
    assert {f["currency"] for f in doc["open_findings"]} == {"BTC", "JPY", "USD", None}
    assert_no_cross_currency_sum(proc.stdout)

    proc = run_cli("check", dsn=drifted)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert table_rows(out, "currency") == [
        ["BTC", "HIGH", "2", "", "0.50012345"],
        ["JPY", "HIGH", "2", "", "16,492"],
        ["USD", "HIGH", "3", "1", "28,551.75"],
        ["USD", "MEDIUM", "1", "", "40.00"],
        ["(unknown currency)", "HIGH", "1", "", "7"]]
    assert table_rows(out, "check") == [
        ["cur_balance", "HIGH", "2", "BTC", "0.50012345"],
        ["cur_balance", "HIGH", "2", "JPY", "16,492"],
        ["cur_balance", "HIGH", "3", "USD", "28,591.75"],
        ["cur_balance", "HIGH", "1", "(unknown currency)", "7"],
        ["cur_orphans", "MEDIUM", "1", "USD", "40.00"]]
    # findings grouped per currency, every amount at its currency's scale
    assert "HIGH · cur_balance · 2 finding(s) · 0.50012345 BTC" in out
    assert "HIGH · cur_balance · 3 finding(s) · 28,591.75 USD" in out
    assert "HIGH · cur_balance · 1 finding(s) · 7 (unknown currency)" in out
    assert "28,551.50" in out and "28,551.5 " not in out  # USD at 2 places
    assert "-0.00012345" in out and "0.50000000" in out  # BTC at 8
    assert "15,492 " in out and "15,492.0" not in out  # JPY at 0
    assert_no_cross_currency_sum(out)

    proc = run_cli("check", "--format", "markdown", dsn=drifted)
    assert proc.returncode == 1
    md = proc.stdout
    assert re.search(r"\| USD +\| HIGH +\| +3 \| +1 \| +28,551.75 \|", md), md
    assert re.search(r"\| \(unknown currency\) +\| HIGH +\| +1 \| +\| +7 \|", md), md
    assert "### HIGH · cur_balance · 2 finding(s) · 16,492 JPY" in md
    assert_no_cross_currency_sum(md)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.labels: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "svg":
            self.labels.append(dict(attrs).get("aria-label") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_cli_report_text_json_and_html(drifted: str, tmp_path: Path) -> None:
    assert run_cli("check", dsn=drifted).returncode == 1
    run(drifted, "UPDATE cur.wallet SET balance = balance - 0.5 WHERE id = 'btc1'")
    assert run_cli("check", dsn=drifted).returncode == 1  # run 2: btc1 repaired

    proc = run_cli("report", dsn=drifted)
    assert proc.returncode == 0, proc.stderr
    assert ["BTC", "HIGH", "1", "", "0.00012345"] in table_rows(proc.stdout, "currency")
    assert_no_cross_currency_sum(proc.stdout)

    proc = run_cli("report", "1", "--format", "json", dsn=drifted)
    doc = json.loads(proc.stdout, parse_float=D)
    assert {c["currency"]: str(c["amount"]) for c in doc["run"]["by_currency"]} == AMOUNTS
    assert {f["currency"] for f in doc["findings"]} == {"BTC", "JPY", "USD", None}
    assert_no_cross_currency_sum(proc.stdout)

    out = tmp_path / "r.html"
    assert run_cli("report", "1", "--format", "html", "--output", str(out),
                   dsn=drifted).returncode == 0
    html = out.read_text()
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.text)
    # a chart per currency, with its unit; the trend per currency
    for c in ("BTC", "JPY", "USD", "(unknown currency)"):
        assert f"drift by severity, {c}" in parser.labels
        assert f"drift, {c} per run" in parser.labels
    # the severity chart counts each sum of money once: USD HIGH 28,551.75 (not 28,591.75)
    severity = html[html.index("Drift by severity"):html.index("Drift by check")]
    assert "28,551.75 USD" in severity and "40.00 USD" in severity
    assert "0.50012345 BTC" in severity and "16,492 JPY" in severity
    assert "7 (unknown currency)" in severity
    assert "28,551.50 USD" in "".join(parser.text) and "15,492 JPY" in "".join(parser.text)
    assert_no_cross_currency_sum(text)


def reconcile_in(dsn: str, zone: str) -> tuple[str, dict[str, str]]:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT set_config('TimeZone', %s, FALSE)", (zone,))
        summary = c.execute("SELECT recon.reconcile(ARRAY['cur_duplicates'])").fetchone()[0]
        sev = dict(c.execute("SELECT wallet_key, severity FROM recon.run_findings "
                             "WHERE run_id = %s", (summary["run_id"],)).fetchall())
    return summary["max_severity"], sev


def test_one_hour_severity_is_the_same_in_every_session_time_zone(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    """Five wallets each post a reference twice between 10:10 and 10:50 UTC: one UTC hour, a
    pattern, CRITICAL. In Asia/Kolkata (UTC+5:30) those times straddle 16:00; the rule must not
    see two hours there."""
    dsn = make_db(fixture_template("currency.sql"))
    wallets = ["btc1", "btc2", "jpy1", "usd1", "usd2"]
    with psycopg.connect(dsn, autocommit=True) as c:
        for i, w in enumerate(wallets, start=1):
            for _ in range(2):
                c.execute("INSERT INTO cur.entry (wallet_id, amount, reference, posted_at) "
                          "VALUES (%s, 1, %s, timestamptz '2026-01-06 10:00:00+00' "
                          "+ make_interval(mins => %s))", (w, f"dup-{w}", 10 * i))
    utc = reconcile_in(dsn, "UTC")
    kolkata = reconcile_in(dsn, "Asia/Kolkata")
    assert utc == kolkata == ("CRITICAL", dict.fromkeys(wallets, "CRITICAL"))
    # the hour of a posting time with an offset, and of one without (a timestamp column)
    for zone in ("UTC", "Asia/Kolkata"):
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("SELECT set_config('TimeZone', %s, FALSE)", (zone,))
            assert c.execute(
                "SELECT _recon.posting_hour('2026-01-06T16:10:00+05:30')::text, "
                "_recon.posting_hour('2026-01-06T10:50:00')::text").fetchone() == (
                "2026-01-06 10:00:00", "2026-01-06 10:00:00")
