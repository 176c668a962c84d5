"""Write-path guards (docs/GUARDS.md), alerts and scheduling, on the four seeds, through real
connections as the applications write: for every guard kind in warn and block mode a correct
write passes and the offending one is warned (WARNING, recon.open_alerts, NOTIFY on
wallet_recon_alert) or blocked (its SQLSTATE, nothing kept); _recon.guard_pending is left empty;
disable removes exactly what enable added; the toolkit's own repair passes a blocking drift
guard and a hand-set wallet_recon.fix_id does not; the append-only escape; staging is per
transaction, not per history; run alerts and acknowledgement; pg_cron scheduling; bad input."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
import pytest
from helpers import q, q1, snapshot
from psycopg.rows import dict_row

from conftest import CRON_DATABASE, Server, fix, reconcile, run_cli

D = Decimal
CHANNEL = "wallet_recon_alert"


def md5_uuid(text: str) -> str:
    """md5(text)::uuid, as the fixtures make their ids."""
    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


# --- databases: one seeded template per seed set, a fresh clone per test ---------------------

@pytest.fixture
def seeded(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> Callable[..., str]:
    """Factory: DSN of a fresh database with seeds `ns` loaded and registered (a clone of their
    template, conftest's fixture_template)."""
    return lambda *ns: make_db(fixture_template(
        *(f for n in ns for f in (f"seed00{n}.sql", f"seed00{n}_register.sql"))))


# --- plain helpers ------------------------------------------------------------------------------


def dicts(dsn: str, sql: str, params: object = None) -> list[dict]:
    with psycopg.connect(dsn, autocommit=True) as c, c.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def user_triggers(dsn: str) -> set[tuple]:
    """Every trigger on a non-system table (the seeds' FK triggers, the toolkit's own and the
    guards'), with its full definition."""
    return set(q(dsn, """
        SELECT t.tgrelid::regclass::text, t.tgname, t.tgenabled::text, pg_get_triggerdef(t.oid)
        FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"""))


def generated_functions(dsn: str) -> set[str]:
    """The trigger functions drift guards generated (in _recon)."""
    return {r[0] for r in q(dsn, "SELECT oid::regprocedure::text FROM pg_proc"
                                 " WHERE pronamespace = '_recon'::regnamespace"
                                 " AND proname LIKE 'tg\\_drift\\_%'")}


def guards(dsn: str) -> list[tuple]:
    return q(dsn, "SELECT id, kind, target, mode, tolerance, triggers FROM recon.guards")


def pending(dsn: str) -> int:
    """Rows staged by a guard (statement triggers) or spilled by a drift guard, any transaction."""
    return q1(dsn, "SELECT (SELECT count(*) FROM _recon.guard_pending)"
                   " + (SELECT count(*) FROM _recon.guard_spill)")


def open_alerts(dsn: str) -> list[dict]:
    return dicts(dsn, "SELECT * FROM recon.open_alerts ORDER BY id")


def enable(dsn: str, kind: str, target: str, **options: object) -> dict:
    return q1(dsn, "SELECT recon.enable_guard(%s, %s, %s::jsonb)",
              (kind, target, json.dumps(options)))


def disable(dsn: str, kind: str, target: str) -> dict:
    return q1(dsn, "SELECT recon.disable_guard(%s, %s)", (kind, target))


def fails(sqlstate: str, dsn: str, sql: str, params: object = None) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as ei:
        q(dsn, sql, params)
    assert ei.value.sqlstate == sqlstate, (ei.value.sqlstate, str(ei.value))
    return ei.value


@dataclass
class Notice:
    severity: str
    message: str
    detail: str | None
    hint: str | None


class Session:
    """A non-autocommit application connection that keeps the notices it receives."""

    def __init__(self, dsn: str) -> None:
        self.c = psycopg.connect(dsn)
        self.notices: list[Notice] = []
        self.c.add_notice_handler(self._notice)

    def _notice(self, d: psycopg.errors.Diagnostic) -> None:
        # a Diagnostic is only valid inside the handler: copy what we need
        self.notices.append(Notice(d.severity_nonlocalized, d.message_primary, d.message_detail,
                                   d.message_hint))

    def warnings(self) -> list[Notice]:
        return [n for n in self.notices if n.severity == "WARNING"]

    def execute(self, sql: str, params: object = None) -> psycopg.Cursor:
        return self.c.execute(sql, params)

    def close(self) -> None:
        self.c.close()


@pytest.fixture
def sessions() -> Iterator[Callable[[str], Session]]:
    made: list[Session] = []

    def make(dsn: str) -> Session:
        made.append(Session(dsn))
        return made[-1]

    yield make
    for s in made:
        s.close()


@pytest.fixture
def listen() -> Iterator[Callable[[str], psycopg.Connection]]:
    """Factory: an autocommit connection that ran LISTEN wallet_recon_alert."""
    made: list[psycopg.Connection] = []

    def make(dsn: str) -> psycopg.Connection:
        c = psycopg.connect(dsn, autocommit=True)
        c.execute(f"LISTEN {CHANNEL}")
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def next_alert(listener: psycopg.Connection) -> dict:
    """The next notification on the channel (it must come), as JSON."""
    got = list(listener.notifies(timeout=5, stop_after=1))
    assert len(got) == 1, "no notification on wallet_recon_alert"
    assert got[0].channel == CHANNEL
    return json.loads(got[0].payload)


def no_alert_notified(dsn: str, listener: psycopg.Connection) -> None:
    """Nothing was notified: a sentinel sent now is the first thing the listener receives
    (notifications arrive in commit order)."""
    q(dsn, f"NOTIFY {CHANNEL}, 'sentinel'")
    got = list(listener.notifies(timeout=5, stop_after=1))
    assert [n.payload for n in got] == ["sentinel"]


# --- seed 000: the runbook's wallet_account / wallet_transaction (signed amounts) -------------

def w0(i: int) -> str:
    return md5_uuid(f"wallet{i}")


S0_TABLES = ["seed000.wallet_account", "seed000.wallet_transaction"]


def s0_post(c: Session, i: int, amount: str | Decimal, ref: str, *, entry: bool = True) -> None:
    """The app posts to wallet i: the balance first, then the entry with its running balance
    (without `entry`: the balance moved and no entry written)."""
    amount = D(amount)
    (bal,) = c.execute("SELECT balance FROM seed000.wallet_account WHERE id = %s FOR UPDATE",
                       (w0(i),)).fetchone()
    c.execute("UPDATE seed000.wallet_account SET balance = balance + %s, updated_at = now()"
              " WHERE id = %s", (amount, w0(i)))
    if entry:
        c.execute("INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,"
                  " balance_after, reference, description, posted_at)"
                  " VALUES (%s, %s, %s, %s, %s, %s, 'test', now())",
                  (md5_uuid(ref), w0(i), "CREDIT" if amount > 0 else "DEBIT", amount,
                   bal + amount, ref))


def s0_good(c: Session) -> None:
    s0_post(c, 1, "50.00", "good-topup-1")            # wallet first, entry after
    c.c.commit()
    s0_post(c, 2, "-30.00", "good-xfer-out")           # a two-wallet transfer, one transaction
    s0_post(c, 4, "30.00", "good-xfer-in")
    c.c.commit()


def s0_good_written(dsn: str) -> bool:
    return q1(dsn, "SELECT count(*) FROM seed000.wallet_transaction WHERE reference IN"
                   " ('good-topup-1', 'good-xfer-out', 'good-xfer-in')") == 3


def s0_drift_bad(c: Session) -> None:
    s0_post(c, 3, "77.00", "bad-credit", entry=False)  # balance credited, no entry


ENTRY = md5_uuid("purchase1")  # seed 000: wallet 1's purchase


def s0_edit_bad(c: Session) -> None:
    c.execute("UPDATE seed000.wallet_transaction SET amount = amount - 1 WHERE id = %s", (ENTRY,))


# --- seed 001: balances, two-phase transfers, operations ----------------------------------------

def b1(i: int) -> str:
    return md5_uuid(f"s1-balance-{i}")


S1_TABLES = ["seed001.balance", "seed001.transaction", "seed001.operation"]
S1_EFFECTS = {"ON_HOLD": (-1, 1), "RELEASE": (1, -1), "DEBIT": (0, -1), "CREDIT": (1, 0)}
S1_STATUS = {"ON_HOLD": "PENDING", "RELEASE": "CANCELED", "DEBIT": "APPROVED",
             "CREDIT": "APPROVED"}


def s1_transaction(c: Session, name: str, status: str, amount: str) -> str:
    tx = md5_uuid(f"s1-guard-tx-{name}")
    c.execute("INSERT INTO seed001.transaction (id, description, status, pending, amount,"
              " created_at, updated_at) VALUES (%s, %s, %s, TRUE, %s, now(), now())",
              (tx, name, status, D(amount)))
    return tx


def s1_op(c: Session, tx: str, i: int, op: str, amount: str, name: str, *,
          record: bool = True) -> None:
    """One operation with the balance's running values after it, and the balance moved
    (without `record`, Bug #1: the balance moved and no operation written)."""
    available, on_hold, version = c.execute(
        "SELECT available, on_hold, version FROM seed001.balance WHERE id = %s FOR UPDATE",
        (b1(i),)).fetchone()
    da, dh = S1_EFFECTS[op]
    after = (available + da * D(amount), on_hold + dh * D(amount), version + 1)
    if record:
        c.execute("INSERT INTO seed001.operation (id, transaction_id, balance_id, account_alias,"
                  " type, amount, available_after, on_hold_after, balance_version_after,"
                  " status, description, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
                  " %s, %s, %s, now())", (md5_uuid(f"s1-guard-op-{name}"), tx, b1(i),
                                          f"@customer-{i:03d}", op, D(amount), *after,
                                          S1_STATUS[op], name))
    c.execute("UPDATE seed001.balance SET available = %s, on_hold = %s, version = %s,"
              " updated_at = now() WHERE id = %s", (*after, b1(i)))


def s1_good(c: Session) -> None:
    # a transfer held, then approved (DEBIT the source, CREDIT the destination)
    tx = s1_transaction(c, "g1", "PENDING", "12.50")
    s1_op(c, tx, 5, "ON_HOLD", "12.50", "g1-hold")
    c.c.commit()
    c.execute("UPDATE seed001.transaction SET status = 'APPROVED', updated_at = now()"
              " WHERE id = %s", (tx,))
    s1_op(c, tx, 5, "DEBIT", "12.50", "g1-debit")
    s1_op(c, tx, 6, "CREDIT", "12.50", "g1-credit")
    c.c.commit()
    # another held, then canceled (RELEASE), hold and release in one transaction
    tx = s1_transaction(c, "g2", "PENDING", "4.25")
    s1_op(c, tx, 7, "ON_HOLD", "4.25", "g2-hold")
    c.execute("UPDATE seed001.transaction SET status = 'CANCELED' WHERE id = %s", (tx,))
    s1_op(c, tx, 7, "RELEASE", "4.25", "g2-release")
    c.c.commit()


def s1_good_written(dsn: str) -> bool:
    return q1(dsn, "SELECT count(*) FROM seed001.operation WHERE description LIKE 'g_-%'") == 5


# Transfer 1 of the fixture: source balance 8, 5.6 held and already DEBITed (APPROVED).
S1_TRANSFER_1 = md5_uuid("s1-transfer-1")


def s1_bad(c: Session) -> None:
    s1_op(c, S1_TRANSFER_1, 8, "RELEASE", "5.6", "bad-release")  # resolved a second time


# --- seed 002: workspace wallets, activations (locked_balance derived), typed transactions --

def ws(i: int) -> str:
    return md5_uuid(f"ws{i}")


S2_TABLES = ["seed002.workspace_wallets", "seed002.activations",
             "seed002.activation_participants", "seed002.wallet_transactions"]


def s2_good(c: Session) -> None:
    act, budget = md5_uuid("act100-9"), D("25000.00")
    # activation-publish: the wallet first, then the activation and its lock transaction
    c.execute("UPDATE seed002.workspace_wallets SET balance = balance - %s,"
              " locked_balance = locked_balance + %s, updated_at = now()"
              " WHERE workspace_id = %s", (budget, budget, ws(100)))
    c.execute("INSERT INTO seed002.activations (id, workspace_id, type, title, status,"
              " total_budget, created_at, published_at) VALUES (%s, %s, 'sm_panel',"
              " 'Campaign 100-9', 'live', %s, now(), now())", (act, ws(100), budget))
    c.execute("INSERT INTO seed002.wallet_transactions (id, workspace_id, type, amount,"
              " reference_type, reference_id, description, created_at) VALUES (%s, %s, 'lock',"
              " %s, 'activation', %s, 'Budget locked', now())",
              (md5_uuid("good-lock"), ws(100), budget, act))
    c.c.commit()
    # release_sm_panel_payment: a creator paid out of the locked budget
    part, pay = md5_uuid("good-part"), D("1500.00")
    c.execute("INSERT INTO seed002.activation_participants (id, activation_id, creator_id,"
              " payout_amount, status, joined_at, paid_at) VALUES (%s, %s, %s, %s, 'paid',"
              " now(), now())", (part, act, md5_uuid("creator-x"), pay))
    c.execute("UPDATE seed002.activations SET spent_amount = spent_amount + %s WHERE id = %s",
              (pay, act))
    c.execute("INSERT INTO seed002.wallet_transactions (id, workspace_id, type, amount,"
              " reference_type, reference_id, description, created_at) VALUES (%s, %s,"
              " 'payment', %s, 'activation_participant', %s, 'Creator payment', now())",
              (md5_uuid("good-payment"), ws(100), pay, part))
    c.execute("UPDATE seed002.workspace_wallets SET locked_balance = locked_balance - %s"
              " WHERE workspace_id = %s", (pay, ws(100)))
    c.c.commit()


def s2_good_written(dsn: str) -> bool:
    return q(dsn, "SELECT locked_balance FROM seed002.workspace_wallets WHERE workspace_id = %s",
             (ws(100),)) == [(D("23500.00"),)]


def s2_bad(c: Session) -> None:
    # finalize_sm_panel_activation: completed, the unused budget (9544.0) never released
    c.execute("UPDATE seed002.activations SET status = 'completed', closed_at = now()"
              " WHERE id = %s", (md5_uuid("act3-4"),))


# --- seed 003: double-entry coin journal ---------------------------------------------------------

def u3(i: int) -> str:
    return md5_uuid(f"user{i}")


def w3(uid: str) -> str:
    return md5_uuid(f"wallet-{uid}")


S3_TABLES = ["seed003.users", "seed003.user_wallet", "seed003.coin_ledger_transactions",
             "seed003.coin_journal_entries"]


def s3_entry(c: Session, txn: str, uid: str, direction: str, amount: int) -> None:
    c.execute("INSERT INTO seed003.coin_journal_entries (transaction_id, wallet_id, direction,"
              " amount, memo) VALUES (%s, %s, %s, %s, 'test')", (txn, w3(uid), direction, amount))
    delta = amount if direction == "credit" else -amount
    c.execute("UPDATE seed003.user_wallet SET balance = balance + %s, updated_at = now()"
              " WHERE user_id = %s", (delta, uid))
    c.execute("UPDATE seed003.users SET total_coins = total_coins + %s WHERE id = %s",
              (delta, uid))


def s3_txn(c: Session, txn: str, kind: str, initiator: str) -> None:
    c.execute("INSERT INTO seed003.coin_ledger_transactions (id, type, initiator_user_id)"
              " VALUES (%s, %s, %s)", (txn, kind, initiator))


def s3_good(c: Session) -> None:
    s3_txn(c, "tx-good", "transfer", u3(1))          # a tip: debit the sender, credit the other
    s3_entry(c, "tx-good", u3(1), "debit", 10)
    s3_entry(c, "tx-good", u3(4), "credit", 10)
    c.c.commit()


def s3_good_written(dsn: str) -> bool:
    return q1(dsn, "SELECT count(*) FROM seed003.coin_journal_entries"
                   " WHERE transaction_id = 'tx-good'") == 2


def s3_bad(c: Session) -> None:
    s3_txn(c, "tx-bad", "reward", u3(2))             # one side only: credited out of nothing
    s3_entry(c, "tx-bad", u3(2), "credit", 25)


# --- the five guard kinds, each with its seed, good and bad writes, and what it reports -------

@dataclass
class Kind:
    kind: str
    target: str
    seed: int
    sqlstate: str
    tables: list[str]
    good: Callable[[Session], None]
    good_written: Callable[[str], bool]
    bad: Callable[[Session], None]
    item: str
    message: str           # the warning's message, from "<kind> guard on <target>: "
    details: dict = field(default_factory=dict)


KINDS = {
    "drift": Kind(
        "drift", "s0_ledger", 0, "RC401", S0_TABLES, s0_good, s0_good_written, s0_drift_bad,
        w0(3), f"drift guard on s0_ledger: wallet {w0(3)}: balance moved by 77.00, its ledger"
               " entries by 0",
        {"wallet": w0(3), "column": "balance", "stored_change": 77, "ledger_change": 0,
         "difference": 77}),
    "derived": Kind(
        "derived", "s2_locked", 2, "RC402", S2_TABLES, s2_good, s2_good_written, s2_bad,
        ws(3), f"derived guard on s2_locked: wallet {ws(3)}: locked_balance is 29566.5,"
               " expected 20022.5",
        {"wallet": ws(3), "stored": 29566.5, "expected": 20022.5, "difference": 9544}),
    "append_only": Kind(
        "append_only", "s0_ledger", 0, "RC405", S0_TABLES, s0_good, s0_good_written,
        s0_edit_bad, ENTRY, "append_only guard on s0_ledger: UPDATE of a ledger entry"
                            " (wallet_transaction)",
        {"operation": "UPDATE", "table": "seed000.wallet_transaction"}),
    "double_entry": Kind(
        "double_entry", "s3_journal", 3, "RC403", S3_TABLES, s3_good, s3_good_written, s3_bad,
        "tx-bad", "double_entry guard on s3_journal: journal tx-bad: its 1 entries do not"
                  " balance (credits - debits = 25)",
        {"journal": "tx-bad", "entries": 1, "imbalance": 25}),
    "lifecycle": Kind(
        "lifecycle", "s1_holds", 1, "RC404", S1_TABLES, s1_good, s1_good_written, s1_bad,
        S1_TRANSFER_1, f"lifecycle guard on s1_holds: transaction {S1_TRANSFER_1}: wallet"
                       f" {b1(8)}: 1 hold(s) of 5.6, 2 resolution(s) of 11.2",
        {"transaction": S1_TRANSFER_1,
         "problem": f"wallet {b1(8)}: 1 hold(s) of 5.6, 2 resolution(s) of 11.2"}),
}


@pytest.mark.core
@pytest.mark.parametrize("mode", ["warn", "block"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_guard_passes_good_writes_and_warns_or_blocks_the_bad_one(
        kind: str, mode: str, seeded: Callable[..., str], sessions: Callable[[str], Session],
        listen: Callable[[str], psycopg.Connection]) -> None:
    k = KINDS[kind]
    dsn = seeded(k.seed)
    result = enable(dsn, k.kind, k.target, mode=mode)
    assert (result["kind"], result["target"], result["mode"], result["changed"]) == (
        k.kind, k.target, mode, True)
    listener = listen(dsn)

    # correct writes (one-wallet, multi-statement with the wallet first, two-wallet) pass
    app = sessions(dsn)
    k.good(app)
    assert k.good_written(dsn)
    assert app.warnings() == []
    assert open_alerts(dsn) == [] and pending(dsn) == 0
    no_alert_notified(dsn, listener)

    before = snapshot(dsn, *k.tables, "_recon.alert", counted=True)
    bad = sessions(dsn)
    if mode == "block":
        reached_commit = False
        with pytest.raises(psycopg.Error) as ei:
            k.bad(bad)
            reached_commit = True
            bad.c.commit()
        err = ei.value
        bad.c.rollback()
        assert err.sqlstate == k.sqlstate, (err.sqlstate, str(err))
        # append_only raises at the statement, the others at COMMIT (deferred)
        assert reached_commit is (k.kind != "append_only")
        assert err.diag.message_primary == k.message and err.diag.message_hint
        detail = json.loads(err.diag.message_detail)
        assert detail["item"] == k.item and detail["mode"] == "block"
        assert {key: detail[key] for key in k.details} == k.details
        # nothing the transaction wrote is kept, no alert, nothing staged, nothing notified
        assert snapshot(dsn, *k.tables, "_recon.alert", counted=True) == before
        assert pending(dsn) == 0
        no_alert_notified(dsn, listener)
        return

    k.bad(bad)
    assert list(listener.notifies(timeout=0.2)) == []  # nothing before the commit
    bad.c.commit()
    [warning] = bad.warnings()
    assert warning.message == k.message
    assert json.loads(warning.detail)["item"] == k.item
    assert "recon.open_alerts" in warning.hint
    # the write was kept (warn mode), the alert recorded and notified after the commit
    assert snapshot(dsn, *k.tables, counted=True) != {t: before[t] for t in k.tables}
    [alert] = open_alerts(dsn)
    assert (alert["kind"], alert["severity"], alert["source"], alert["item"]) == (
        k.kind, "HIGH", k.target, k.item)
    assert alert["guard_id"] == result["guard"] and alert["run_id"] is None
    assert k.message.endswith(alert["message"])
    assert {key: alert["details"][key] for key in k.details} == k.details
    assert (alert["details"]["guard"], alert["details"]["target"], alert["details"]["mode"]) == (
        k.kind, k.target, "warn")
    payload = next_alert(listener)
    assert payload["alert_id"] == alert["id"]
    assert (payload["kind"], payload["severity"], payload["item"], payload["message"]) == (
        k.kind, "HIGH", k.item, alert["message"])
    assert {key: payload[key] for key in k.details} == k.details
    assert pending(dsn) == 0
    no_alert_notified(dsn, listener)


def test_guards_together_on_ledgers_with_two_balance_columns(
        seeded: Callable[..., str], sessions: Callable[[str], Session]) -> None:
    """Drift guards on seed 001's and seed 002's ledgers (operation-typed effects on two balance
    columns) next to the lifecycle and derived guards, all blocking: the apps' correct writes
    pass; a balance moved without its operation (seed 001's Bug #1) or a lock that moved only
    the locked balance is blocked, on the right column."""
    dsn = seeded(1, 2)
    for kind, target in [("drift", "s1_operations"), ("lifecycle", "s1_holds"),
                         ("drift", "s2_ledger"), ("derived", "s2_locked")]:
        enable(dsn, kind, target, mode="block")
    app = sessions(dsn)
    s1_good(app)
    s2_good(app)
    assert s1_good_written(dsn) and s2_good_written(dsn)
    assert app.warnings() == [] and pending(dsn) == 0

    tables = [*S1_TABLES, *S2_TABLES]
    tx = s1_transaction(app, "b1", "PENDING", "12.50")
    s1_op(app, tx, 9, "ON_HOLD", "12.50", "b1-hold")
    app.c.commit()
    before = snapshot(dsn, *tables, counted=True)
    app.execute("UPDATE seed001.transaction SET status = 'APPROVED' WHERE id = %s", (tx,))
    s1_op(app, tx, 9, "DEBIT", "12.50", "b1-debit", record=False)
    s1_op(app, tx, 10, "CREDIT", "12.50", "b1-credit")
    with pytest.raises(psycopg.Error) as ei:
        app.c.commit()
    assert ei.value.sqlstate == "RC401"
    detail = json.loads(ei.value.diag.message_detail)
    assert (detail["target"], detail["wallet"], detail["column"], detail["stored_change"],
            detail["ledger_change"]) == ("s1_operations", b1(9), "on_hold", -12.5, 0)
    assert snapshot(dsn, *tables, counted=True) == before

    act, budget = md5_uuid("act99-9"), D("3000")
    app.execute("INSERT INTO seed002.activations (id, workspace_id, type, title, status,"
                " total_budget, created_at, published_at) VALUES (%s, %s, 'sm_panel', 'C',"
                " 'live', %s, now(), now())", (act, ws(99), budget))
    app.execute("INSERT INTO seed002.wallet_transactions (id, workspace_id, type, amount,"
                " reference_type, reference_id, created_at) VALUES (%s, %s, 'lock', %s,"
                " 'activation', %s, now())", (md5_uuid("bad-lock"), ws(99), budget, act))
    app.execute("UPDATE seed002.workspace_wallets SET locked_balance = locked_balance + %s"
                " WHERE workspace_id = %s", (budget, ws(99)))
    with pytest.raises(psycopg.Error) as ei:
        app.c.commit()
    assert ei.value.sqlstate == "RC401"
    detail = json.loads(ei.value.diag.message_detail)
    assert (detail["target"], detail["wallet"], detail["column"], detail["stored_change"],
            detail["ledger_change"]) == ("s2_ledger", ws(99), "balance", 0, -3000)
    assert snapshot(dsn, *tables, counted=True) == before and pending(dsn) == 0


# --- _recon.guard_pending: only the transaction's rows, gone with it -----------------------

def staged(c: Session) -> list[tuple]:
    return c.execute("SELECT item, col, stored, ledger FROM _recon.guard_pending"
                     " WHERE txid = pg_current_xact_id() ORDER BY item, col").fetchall()


def drift_staged(c: Session, guard: int) -> list[tuple]:
    """What drift guard `guard` holds for the session's transaction so far (its accumulator, and
    what a large transaction spilled), per wallet and column: stored change and ledger effects;
    what balanced out is not there."""
    return c.execute("""
        SELECT x.item, g.compiled -> 'sql' -> 'columns' ->> (x.col - 1), sum(x.stored),
               sum(x.ledger)
        FROM (SELECT d.item, d.col, d.stored, d.ledger FROM _recon.guard_drift_records(
                  COALESCE(current_setting(format('wallet_recon.drift_%%s', %(g)s), TRUE), ''))
                  AS d
              UNION ALL
              SELECT s.item, s.col, s.stored, s.ledger FROM _recon.guard_spill AS s
              WHERE s.txid = pg_current_xact_id() AND s.guard_id = %(g)s) AS x
        JOIN _recon.guard AS g ON g.id = %(g)s
        GROUP BY x.item, x.col, g.compiled
        HAVING sum(x.stored) <> sum(x.ledger)
        ORDER BY 1, 2""", {"g": guard}).fetchall()


def test_an_aborted_transaction_leaves_nothing_staged(
        seeded: Callable[..., str], sessions: Callable[[str], Session]) -> None:
    dsn = seeded(0)
    guard = enable(dsn, "drift", "s0_ledger", mode="block")["guard"]
    app = sessions(dsn)
    s0_post(app, 3, "77.00", "aborted", entry=False)
    s0_post(app, 5, "10.00", "aborted-ok")
    # what balanced (wallet 5: its balance and its entry) is not held
    assert drift_staged(app, guard) == [(w0(3), "balance", D("77.00"), 0)]
    app.c.rollback()
    assert pending(dsn) == 0
    # aborted by an error in the middle, with a savepoint rolled back before it
    with app.c.transaction():
        s0_post(app, 6, "1.00", "kept")
    # a savepoint rolled back, then the transaction aborted by an error
    with pytest.raises(psycopg.errors.UniqueViolation), app.c.transaction():
        s0_post(app, 8, "2.00", "outer", entry=False)
        with pytest.raises(psycopg.errors.CheckViolation), app.c.transaction():  # savepoint
            s0_post(app, 3, "5.00", "sp", entry=False)
            raise psycopg.errors.CheckViolation("rolled back to the savepoint")
        assert [r[0] for r in drift_staged(app, guard)] == [w0(8)]
        app.execute("INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,"
                    " balance_after, posted_at) SELECT id, wallet_id, type, amount,"
                    " balance_after, posted_at FROM seed000.wallet_transaction"
                    " WHERE id = %s", (ENTRY,))
    assert pending(dsn) == 0
    assert q1(dsn, "SELECT count(*) FROM seed000.wallet_transaction WHERE reference = 'kept'") == 1


def test_staging_is_per_transaction_never_per_history(
        seeded: Callable[..., str], sessions: Callable[[str], Session]) -> None:
    dsn = seeded(0, 3)
    # wallet 1 gets 3000 more entries (its balance in step), before any guard
    q(dsn, """INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,
                  balance_after, reference, posted_at)
              SELECT md5('hist' || i)::uuid, md5('wallet1')::uuid, 'CREDIT', 1, 0, 'hist' || i,
                     now() FROM generate_series(1, 3000) AS i""")
    q(dsn, "UPDATE seed000.wallet_account SET balance = balance + 3000 WHERE id = %s", (w0(1),))
    q(dsn, """INSERT INTO seed003.coin_ledger_transactions (id, type)
              SELECT 'hist-' || i, 'tip' FROM generate_series(1, 1000) AS i""")
    q(dsn, """INSERT INTO seed003.coin_journal_entries (transaction_id, wallet_id, direction,
                  amount) SELECT 'hist-' || i, x.w, x.d, 1 FROM generate_series(1, 1000) AS i,
              (VALUES (%s, 'debit'), (%s, 'credit')) AS x (w, d)""", (w3(u3(1)), w3(u3(4))))
    drift = enable(dsn, "drift", "s0_ledger", mode="block")
    journal = enable(dsn, "double_entry", "s3_journal", mode="block")
    # the double-entry guard's triggers are statement triggers; the drift guard's (block mode,
    # sealed) are two row triggers adding up what a row changed (the first row of a transaction
    # queues the commit-time check through _recon.guard_tick) and two statement triggers
    # refusing a TRUNCATE of either table
    kinds = dict(q(dsn, "SELECT tgname, CASE WHEN tgtype & 1 = 1 THEN 'row' ELSE 'statement' END"
                        " FROM pg_trigger WHERE tgname LIKE 'recon_guard_%'"))
    # (and a deferred row trigger on _recon.guard_pending: its commit-time check per journal)
    assert {t["trigger"]: kinds[t["trigger"]] for t in journal["triggers"]} == {
        t["trigger"]: "row" if t["table"] == "_recon.guard_pending" else "statement"
        for t in journal["triggers"]}
    assert {t["trigger"]: kinds[t["trigger"]] for t in drift["triggers"]} == {
        t["trigger"]: "statement" if t["trigger"].endswith("_truncate") else "row"
        for t in drift["triggers"]}
    assert len(drift["triggers"]) == 4 and len(journal["triggers"]) == 4

    app = sessions(dsn)
    # held: per wallet touched and balance column, the transaction's amounts only, until its
    # entries balance them
    app.execute("UPDATE seed000.wallet_account SET balance = balance - 30 WHERE id = %s",
                (w0(1),))
    assert drift_staged(app, drift["guard"]) == [(w0(1), "balance", D("-30.00"), 0)]
    app.execute("UPDATE seed000.wallet_account SET balance = balance - 30 WHERE id = %s",
                (w0(1),))
    assert drift_staged(app, drift["guard"]) == [(w0(1), "balance", D("-60.00"), 0)]
    app.c.rollback()
    s0_post(app, 1, "-30.00", "x-out", entry=False)
    assert drift_staged(app, drift["guard"]) == [(w0(1), "balance", D("-30.00"), 0)]
    app.execute("INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,"
                " balance_after, reference, description, posted_at) VALUES (%s, %s, 'DEBIT',"
                " -30, 0, 'x-out', 'test', now())", (md5_uuid("x-out"), w0(1)))
    s0_post(app, 2, "30.00", "x-in")
    assert drift_staged(app, drift["guard"]) == []
    app.c.commit()
    assert pending(dsn) == 0
    s3_txn(app, "tx-now", "transfer", u3(1))
    s3_entry(app, "tx-now", u3(1), "debit", 7)
    s3_entry(app, "tx-now", u3(4), "credit", 7)
    assert staged(app) == [("tx-now", "journal", 0, 0)]  # the one journal written, not 1000 others
    app.c.commit()
    assert pending(dsn) == 0 and open_alerts(dsn) == []


# --- the drift guard: savepoints, large transactions, two guards, its generated functions -----

def rc401_item(c: Session) -> str:
    """Commit; it must fail with RC401: the item it names."""
    with pytest.raises(psycopg.Error) as ei:
        c.c.commit()
    assert ei.value.sqlstate == "RC401", (ei.value.sqlstate, str(ei.value))
    return json.loads(ei.value.diag.message_detail)["item"]


def s0_entry(c: Session, i: int, amount: str, ref: str) -> None:
    c.execute("INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount, balance_after,"
              " reference, description, posted_at) VALUES (%s, %s, 'CREDIT', %s, 0, %s, 'test',"
              " now())", (md5_uuid(ref), w0(i), D(amount), ref))


@pytest.mark.core
def test_drift_guard_forgets_what_a_savepoint_rollback_takes_back(
        seeded: Callable[..., str], sessions: Callable[[str], Session]) -> None:
    """The drift guard holds what a transaction wrote in a transaction-local setting: rolled back
    to a savepoint (or by an exception caught in PL/pgSQL), a write is gone for the guard as it
    is for the table; a released savepoint's writes count."""
    dsn = seeded(0)
    guard = enable(dsn, "drift", "s0_ledger", mode="block")["guard"]
    app = sessions(dsn)

    # a bad write rolled back to its savepoint: the rest commits
    s0_post(app, 1, "5.00", "sp-good")
    app.execute("SAVEPOINT a")
    s0_post(app, 3, "77.00", "sp-bad", entry=False)
    assert drift_staged(app, guard) == [(w0(3), "balance", D("77.00"), 0)]
    app.execute("ROLLBACK TO SAVEPOINT a")
    assert drift_staged(app, guard) == []
    app.c.commit()
    assert reconcile(dsn)["status"] == "synced" and pending(dsn) == 0

    # the entry rolled back with its savepoint, the balance kept: drift
    s0_post(app, 2, "4.00", "sp-half", entry=False)
    app.execute("SAVEPOINT b")
    s0_entry(app, 2, "4.00", "sp-half")
    assert drift_staged(app, guard) == []
    app.execute("ROLLBACK TO SAVEPOINT b")
    assert drift_staged(app, guard) == [(w0(2), "balance", D("4.00"), 0)]
    assert rc401_item(app) == w0(2)

    # nested: the inner savepoint rolled back, the outer released
    app.execute("SAVEPOINT outer_sp")
    s0_post(app, 4, "3.00", "sp-outer", entry=False)
    app.execute("SAVEPOINT inner_sp")
    s0_entry(app, 4, "3.00", "sp-outer")
    app.execute("ROLLBACK TO SAVEPOINT inner_sp")
    app.execute("RELEASE SAVEPOINT outer_sp")
    assert rc401_item(app) == w0(4)

    # an exception caught in PL/pgSQL is a subtransaction too
    app.execute("""DO $$
        BEGIN
            UPDATE seed000.wallet_account SET balance = balance + 9 WHERE id = md5('wallet5')::uuid;
            RAISE EXCEPTION 'taken back';
        EXCEPTION WHEN raise_exception THEN
            NULL;
        END $$""")
    assert drift_staged(app, guard) == []
    app.c.commit()
    assert app.warnings() == [] and pending(dsn) == 0
    assert reconcile(dsn)["status"] == "synced"


BIG = 20_000


def test_drift_guard_runs_as_an_unprivileged_writer(
        seeded: Callable[..., str], sessions: Callable[[str], Session]) -> None:
    """A role with nothing but its rights on the two tables is judged like anyone, in block mode
    (sealed: the generated functions are SECURITY DEFINER and keep the sums in
    _recon.guard_spill) and in warn mode (they run as the writer, not SECURITY DEFINER). Balance
    first or entry first, balanced transactions commit; an entry without its balance and a
    balance without its entry are blocked; a large transaction is judged; in warn mode the
    alert is written. The writer may call the three _recon_guard functions and nothing in
    _recon."""
    dsn = seeded(0)
    q(dsn, """
        DROP ROLE IF EXISTS guard_writer;
        CREATE ROLE guard_writer;
        GRANT USAGE ON SCHEMA seed000 TO guard_writer;
        GRANT SELECT, INSERT, UPDATE, DELETE ON seed000.wallet_account,
            seed000.wallet_transaction TO guard_writer""")
    try:
        guard = enable(dsn, "drift", "s0_ledger", mode="block")["guard"]
        app = sessions(dsn)
        app.execute("SET ROLE guard_writer")
        s0_post(app, 1, "5.00", "writer-balance-first")
        app.c.commit()
        # the entry first, then the balance: the ledger row finds nothing queued and ticks
        s0_entry(app, 2, "7.00", "writer-entry-first")
        app.execute("UPDATE seed000.wallet_account SET balance = balance + 7 WHERE id = %s",
                    (w0(2),))
        app.c.commit()
        assert app.warnings() == []
        # a ledger-only transaction: caught at commit
        s0_entry(app, 3, "9.00", "writer-entry-only")
        assert rc401_item(app) == w0(3)
        # a balance without its entry
        s0_post(app, 4, "11.00", "writer-balance-only", entry=False)
        assert rc401_item(app) == w0(4)
        # spilled, balanced and not
        for p, skip in (("wr", 0), ("wx", 777)):
            app.execute("INSERT INTO seed000.wallet_account (id, member_id, balance)"
                        " SELECT md5(%(p)s || i)::uuid, 800000 + i, 0.01"
                        " FROM generate_series(1, 3000) AS i", {"p": p})
            # block mode keeps no setting: the sums are in _recon.guard_spill (sealed)
            assert app.execute("SELECT current_setting(%s, true)",
                               (f"wallet_recon.drift_{guard}",)).fetchone()[0] in (None, "")
            app.execute("INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,"
                        " balance_after, reference, posted_at)"
                        " SELECT md5(%(p)s || 'e' || i)::uuid, md5(%(p)s || i)::uuid, 'CREDIT',"
                        " 0.01, 0.01, %(p)s || i, now() FROM generate_series(1, 3000) AS i"
                        " WHERE i <> %(s)s", {"p": p, "s": skip})
            if skip:
                assert rc401_item(app) == md5_uuid(f"{p}{skip}")
            else:
                app.c.commit()
        assert q1(dsn, "SELECT count(*) FROM _recon.guard_spill") == 0
        # warn mode: the alert is written, as the writer
        enable(dsn, "drift", "s0_ledger", mode="warn")
        s0_post(app, 5, "13.00", "writer-warn", entry=False)
        app.c.commit()
        assert [n.message for n in app.warnings()] and len(open_alerts(dsn)) == 1
        # what the writer may call: _recon_guard, nothing of _recon
        fails("42501", dsn, "SET ROLE guard_writer; SELECT _recon.guard_drift_verdict(1, '')")
        assert q1(dsn, """SELECT array_agg(f ORDER BY f)
                          FROM pg_proc AS p, CAST(p.oid::regprocedure AS text) AS f
                          WHERE has_function_privilege('guard_writer', p.oid, 'EXECUTE')
                            AND p.pronamespace::regnamespace::text
                                IN ('recon', '_recon', '_recon_guard')""") == [
            "_recon_guard.drift_spill(integer,text)", "_recon_guard.drift_tick(integer)",
            "_recon_guard.drift_verdict(integer,text)"]
        app.execute("SET ROLE guard_writer")
        assert app.execute("SELECT _recon_guard.drift_tick(%s)", (guard,)).fetchone() == ("*",)
        app.c.rollback()
        # a spill for a guard id that is not a drift guard's: RC107, nothing written
        fails("RC107", dsn, "SET ROLE guard_writer;"
                            " SELECT _recon_guard.drift_spill(-1, ',1:1=5.00s,')")
        assert q1(dsn, "SELECT count(*) FROM _recon.guard_spill") == 0
    finally:
        for _, kind, target, *_ in guards(dsn):
            disable(dsn, kind, target)
        q(dsn, "DROP OWNED BY guard_writer; DROP ROLE guard_writer")


@pytest.mark.parametrize("check_on", ["wallet", "ledger"])
def test_drift_guard_check_on_either_table(seeded: Callable[..., str],
                                           sessions: Callable[[str], Session],
                                           check_on: str) -> None:
    """Option check_on puts a warn-mode guard's deferred constraint trigger on the wallet table
    (default) or the ledger; the other table's rows queue the check when they come first. Block
    mode (sealed) has none: the first row of either table queues the check. Either way, both
    orders of a good transfer commit and an entry alone or a balance alone is blocked; only the
    cost differs (docs/PERFORMANCE.md)."""
    dsn = seeded(0)
    fails("RC406", dsn, "SELECT recon.enable_guard('drift', 's0_ledger', '{\"check_on\": \"x\"}')")
    fails("RC406", dsn, "SELECT recon.enable_guard('append_only', 's0_ledger',"
                        " '{\"check_on\": \"ledger\"}')")
    assert guards(dsn) == []
    guard = enable(dsn, "drift", "s0_ledger", mode="warn", check_on=check_on)
    table = {"wallet": "seed000.wallet_account", "ledger": "seed000.wallet_transaction"}
    assert [(t["table"], t["trigger"]) for t in guard["triggers"] if t.get("constraint")] == [
        (table[check_on], f"recon_guard_{guard['guard']}_{check_on}_check")]
    guard = enable(dsn, "drift", "s0_ledger", mode="block", check_on=check_on)
    assert [t for t in guard["triggers"] if t.get("constraint")] == []
    assert enable(dsn, "drift", "s0_ledger", mode="block", check_on=check_on)["changed"] is False
    app = sessions(dsn)
    s0_post(app, 1, "5.00", f"co-{check_on}-balance-first")
    app.c.commit()
    s0_entry(app, 2, "7.00", f"co-{check_on}-entry-first")
    app.execute("UPDATE seed000.wallet_account SET balance = balance + 7 WHERE id = %s", (w0(2),))
    app.c.commit()
    assert app.warnings() == []
    s0_entry(app, 3, "9.00", f"co-{check_on}-entry-only")
    assert rc401_item(app) == w0(3)
    s0_post(app, 4, "11.00", f"co-{check_on}-balance-only", entry=False)
    assert rc401_item(app) == w0(4)
    assert reconcile(dsn)["by_check"]["s0_balance"]["findings"] == 0


def test_drift_guard_large_transactions(seeded: Callable[..., str],
                                        sessions: Callable[[str], Session]) -> None:
    """Tens of thousands of rows in one transaction, in one statement or in many: the accumulator
    moves to _recon.guard_spill once it grows past 8 kB (so that no row costs more for the rows
    before it), and the commit check reads both: what balances passes, one missing entry or one
    cent is caught with its numbers, and nothing is left behind."""
    dsn = seeded(0)
    guard = enable(dsn, "drift", "s0_ledger", mode="block")["guard"]
    app = sessions(dsn)
    wallets = ("INSERT INTO seed000.wallet_account (id, member_id, balance)"
               " SELECT md5(%(p)s || i)::uuid, 900000 + i, (i %% 7 + 1) * 1.25"
               " FROM generate_series(1, %(n)s) AS i")
    entries = ("INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,"
               " balance_after, reference, posted_at)"
               " SELECT md5(%(p)s || 'e' || i)::uuid, md5(%(p)s || i)::uuid, 'CREDIT',"
               " (i %% 7 + 1) * 1.25, (i %% 7 + 1) * 1.25, %(p)s || i, now()"
               " FROM generate_series(1, %(n)s) AS i WHERE i <> %(skip)s")
    spilled = ("SELECT count(*) FROM _recon.guard_spill"
               " WHERE txid = pg_current_xact_id() AND guard_id = %s")

    # one statement each: 20,000 wallets opened with a balance, then their 20,000 entries
    app.execute(wallets, {"p": "big", "n": BIG})
    assert app.execute(spilled, (guard,)).fetchone()[0] > 0
    app.execute(entries, {"p": "big", "n": BIG, "skip": 0})
    assert drift_staged(app, guard) == []
    app.c.commit()
    assert app.warnings() == [] and pending(dsn) == 0

    # the same with one entry missing
    app.execute(wallets, {"p": "bad", "n": BIG})
    app.execute(entries, {"p": "bad", "n": BIG, "skip": 12345})
    assert drift_staged(app, guard) == [(md5_uuid("bad12345"), "balance", D("6.25"), 0)]
    with pytest.raises(psycopg.Error) as ei:
        app.c.commit()
    detail = json.loads(ei.value.diag.message_detail)
    assert (ei.value.sqlstate, detail["item"], detail["stored_change"],
            detail["ledger_change"]) == ("RC401", md5_uuid("bad12345"), 6.25, 0)
    assert pending(dsn) == 0

    # many statements: 3,000 transfers between wallets 1-50, each an UPDATE and an INSERT per
    # side, in one transaction; the last one credits one cent more than it debits
    transfers = """DO $$
        DECLARE
            a uuid;
            b uuid;
        BEGIN
            FOR i IN 1..3000 LOOP
                a := md5('wallet' || (i %% 50 + 1))::uuid;
                b := md5('wallet' || ((i + 17) %% 50 + 1))::uuid;
                UPDATE seed000.wallet_account SET balance = balance - 0.10 WHERE id = a;
                INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,
                    balance_after, posted_at)
                VALUES (md5(%(p)s || 'a' || i)::uuid, a, 'DEBIT', -0.10, 0, now());
                UPDATE seed000.wallet_account SET balance = balance + 0.10
                    + CASE WHEN i = %(off)s THEN 0.01 ELSE 0 END WHERE id = b;
                INSERT INTO seed000.wallet_transaction (id, wallet_id, type, amount,
                    balance_after, posted_at)
                VALUES (md5(%(p)s || 'b' || i)::uuid, b, 'CREDIT', 0.10, 0, now());
            END LOOP;
        END $$"""
    app.execute(transfers.replace("%%", "%").replace("%(p)s", "'many'").replace("%(off)s", "0"))
    app.c.commit()
    assert app.warnings() == [] and pending(dsn) == 0
    app.execute(transfers.replace("%%", "%").replace("%(p)s", "'off'").replace("%(off)s", "3000"))
    # (block mode keeps one sum per wallet: what is left is the 0.01 off, on that wallet)
    assert [(w, c, s - led) for w, c, s, led in drift_staged(app, guard)] == [
        (w0((3000 + 17) % 50 + 1), "balance", D("0.01"))]
    assert rc401_item(app) == w0((3000 + 17) % 50 + 1)
    assert pending(dsn) == 0
    # (their running balances are not kept: only the balance check has to agree)
    assert reconcile(dsn)["by_check"]["s0_balance"]["findings"] == 0


def test_two_drift_guards_on_two_ledgers(seeded: Callable[..., str],
                                         sessions: Callable[[str], Session]) -> None:
    """Drift guards on seed 000's ledger (uuid keys, signed amounts) and seed 003's (text keys,
    credit/debit): each has its own functions, triggers and accumulator; a transaction writing
    both is judged by both, a violation is named by the guard of its ledger, and disabling one
    leaves the other working."""
    dsn = seeded(0, 3)
    g0 = enable(dsn, "drift", "s0_ledger", mode="block")["guard"]
    g3 = enable(dsn, "drift", "s3_journal", mode="block")["guard"]
    assert generated_functions(dsn) == {f"_recon.tg_drift_{g}_{side}()" for g in (g0, g3)
                                        for side in ("wallet", "ledger")}  # block: no check
    app = sessions(dsn)
    s0_post(app, 1, "-2.50", "two-out")
    s3_txn(app, "tx-two", "transfer", u3(1))
    s3_entry(app, "tx-two", u3(1), "debit", 3)
    s3_entry(app, "tx-two", u3(4), "credit", 3)
    assert drift_staged(app, g0) == [] and drift_staged(app, g3) == []
    app.c.commit()
    assert app.warnings() == [] and pending(dsn) == 0

    # seed 003: a wallet credited without its entry; seed 000 balanced alongside
    s0_post(app, 2, "1.00", "two-in")
    app.execute("UPDATE seed003.user_wallet SET balance = balance + 5 WHERE user_id = %s",
                (u3(2),))
    assert drift_staged(app, g0) == []
    assert drift_staged(app, g3) == [(w3(u3(2)), "balance", 5, 0)]
    with pytest.raises(psycopg.Error) as ei:
        app.c.commit()
    detail = json.loads(ei.value.diag.message_detail)
    assert (ei.value.sqlstate, detail["target"], detail["item"]) == (
        "RC401", "s3_journal", w3(u3(2)))

    # a text key with the accumulator's separators in it
    odd = "odd,key:1s5%2C"
    q(dsn, "INSERT INTO seed003.users (id, username, email) VALUES (%s, 'odd', 'odd@x')", (odd,))
    q(dsn, "INSERT INTO seed003.user_wallet (wallet_id, user_id) VALUES (%s, %s)", (w3(odd), odd))
    app.execute("UPDATE seed003.user_wallet SET balance = balance + 5 WHERE user_id = %s", (odd,))
    assert drift_staged(app, g3) == [(w3(odd), "balance", 5, 0)]
    s3_txn(app, "tx-odd", "reward", odd)
    app.execute("INSERT INTO seed003.coin_journal_entries (transaction_id, wallet_id, direction,"
                " amount) VALUES ('tx-odd', %s, 'credit', 5)", (w3(odd),))
    assert drift_staged(app, g3) == []
    app.c.rollback()

    disable(dsn, "drift", "s0_ledger")
    assert generated_functions(dsn) == {f"_recon.tg_drift_{g3}_{side}()"
                                        for side in ("wallet", "ledger")}
    s0_post(app, 3, "77.00", "unguarded", entry=False)
    app.execute("UPDATE seed003.user_wallet SET balance = balance + 5 WHERE user_id = %s",
                (u3(2),))
    assert rc401_item(app) == w3(u3(2))
    disable(dsn, "drift", "s3_journal")
    assert generated_functions(dsn) == set()


def test_drift_guard_functions_are_generated_safely_and_invisible_to_status(
        seeded: Callable[..., str], sessions: Callable[[str], Session]) -> None:
    """The generated functions: owned like the toolkit's, not executable by PUBLIC, a comment;
    in warn mode not SECURITY DEFINER and no SET clause (they run as the writer), in block mode
    (sealed) SECURITY DEFINER with search_path pinned (and no check function); plpgsql_check
    clean against
    their table; a hostile search_path in the writing session changes nothing they do. `status` reports the installation as current while
    they exist (they belong to the guard, not to the package), and `upgrade` leaves them."""
    dsn = seeded(0, 1)
    for mode in ("warn", "block"):  # block last: the writes below are blocked
        guards_ = [enable(dsn, "drift", t, mode=mode) for t in ("s0_ledger", "s1_operations")]
        generated_safely(dsn, mode)

    # a writer whose search_path puts look-alike operators and functions first
    q(dsn, """
        CREATE SCHEMA hostile;
        CREATE TABLE hostile.calls (what text);
        CREATE FUNCTION hostile.cat(text, text) RETURNS text LANGUAGE sql
            AS $$ INSERT INTO hostile.calls VALUES ('||') RETURNING 'x' $$;
        CREATE OPERATOR hostile.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.cat);
        CREATE FUNCTION hostile.eq(text, text) RETURNS boolean LANGUAGE sql
            AS $$ INSERT INTO hostile.calls VALUES ('=') RETURNING true $$;
        CREATE OPERATOR hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.eq);
        CREATE FUNCTION hostile.strpos(text, text) RETURNS integer LANGUAGE sql
            AS $$ INSERT INTO hostile.calls VALUES ('strpos') RETURNING 1 $$;
        CREATE FUNCTION hostile.current_setting(text, boolean) RETURNS text LANGUAGE sql
            AS $$ INSERT INTO hostile.calls VALUES ('current_setting') RETURNING '' $$;
        GRANT USAGE ON SCHEMA hostile TO PUBLIC""")
    app = sessions(dsn)
    app.execute("SET search_path = hostile, pg_catalog, public")
    s0_post(app, 1, "1.00", "hostile-ok")
    app.c.commit()
    s0_post(app, 3, "77.00", "hostile-bad", entry=False)
    assert rc401_item(app) == w0(3)
    assert q(dsn, "SELECT what FROM hostile.calls") == []

    # status: every repeatable object current, exit 0; upgrade: nothing to do
    status = run_cli("status", "--json", dsn=dsn)
    assert status.returncode == 0, status.stdout + status.stderr
    report = json.loads(status.stdout)
    assert report["current"] is True
    assert report["objects"] and all(o["state"] == "current" for o in report["objects"])
    upgrade = run_cli("upgrade", dsn=dsn)
    assert upgrade.returncode == 0, upgrade.stderr
    assert upgrade.stdout.startswith("nothing to do"), upgrade.stdout
    assert len(generated_functions(dsn)) == (6 if mode == "warn" else 4)
    for g in guards_:
        disable(dsn, "drift", g["target"])
    assert generated_functions(dsn) == set()


def generated_safely(dsn: str, mode: str) -> None:
    """The generated functions of the enabled drift guards, as the test above says."""
    rows = q(dsn, """
        SELECT p.oid::regprocedure::text, p.proowner = n.nspowner, p.prosecdef, p.proconfig,
               has_function_privilege('public', p.oid, 'EXECUTE'),
               obj_description(p.oid, 'pg_proc') IS NOT NULL,
               (SELECT t.tgrelid FROM pg_trigger AS t WHERE t.tgfoid = p.oid)::regclass::text
        FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
        WHERE n.nspname = '_recon' AND p.proname LIKE 'tg\\_drift\\_%'""")
    assert len(rows) == (6 if mode == "warn" else 4)
    expected = ((True, False, None, False, True) if mode == "warn" else
                (True, True, ["search_path=pg_catalog, pg_temp"], False, True))
    for name, owned, secdef, config, public, comment, table in rows:
        assert (owned, secdef, config, public, comment) == expected, name
        assert table in ("seed000.wallet_account", "seed000.wallet_transaction",
                         "seed001.balance", "seed001.operation"), name
    q(dsn, "CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    problems = q(dsn, """
        SELECT p.oid::regprocedure::text, c.level, c.message
        FROM pg_proc AS p
        JOIN pg_trigger AS t ON t.tgfoid = p.oid
        CROSS JOIN LATERAL plpgsql_check_function_tb(p.oid, t.tgrelid, fatal_errors => false,
                                                     extra_warnings => true) AS c
        WHERE p.proname LIKE 'tg\\_drift\\_%' AND c.level IN ('error', 'warning', 'warning extra')""")
    assert problems == []



# --- enable / disable -------------------------------------------------------------------------

ALL_GUARDS = [("drift", "s0_ledger"), ("append_only", "s0_ledger"), ("derived", "s2_locked"),
              ("lifecycle", "s1_holds"), ("double_entry", "s3_journal")]


def test_disable_removes_exactly_what_enable_added(seeded: Callable[..., str]) -> None:
    dsn = seeded(0, 1, 2, 3)
    before = user_triggers(dsn)
    assert any(t[1].startswith("RI_ConstraintTrigger") for t in before)  # the seeds' FKs
    assert any(t[1] == "guard_pending_check" for t in before)           # the toolkit's own
    enabled = {}
    for kind, target in ALL_GUARDS:
        enabled[kind] = enable(dsn, kind, target, mode="warn")
    added = user_triggers(dsn) - before
    assert before <= user_triggers(dsn)
    listed = {(t["table"], t["trigger"]) for r in enabled.values() for t in r["triggers"]}
    assert {(t[0], t[1]) for t in added} == listed
    # drift: a row trigger and a TRUNCATE statement trigger on ledger and wallets, a deferred
    # constraint trigger on the wallets; derived:
    # wallet and source insert/update/delete and TRUNCATE; append_only: row UPDATE/DELETE and
    # TRUNCATE; double_entry: ledger insert/update/delete and its commit-time check on
    # _recon.guard_pending; lifecycle: ledger
    # insert/update/delete and TRUNCATE
    assert {r[1]: len(r[5]) for r in guards(dsn)} == {
        "drift": 5, "derived": 8, "append_only": 2, "double_entry": 4, "lifecycle": 4}
    # and the drift guard's three generated trigger functions, in _recon, listed with it
    assert generated_functions(dsn) == {f"_recon.tg_drift_{enabled['drift']['guard']}_{side}()"
                                        for side in ("wallet", "ledger", "check")}
    assert set(q1(dsn, "SELECT trigger_functions FROM recon.guards WHERE kind = 'drift'")) == (
        generated_functions(dsn))
    assert all(f"guard {enabled[k]['guard']} " in q1(
        dsn, "SELECT obj_description(oid, 'pg_trigger') FROM pg_trigger WHERE tgname = %s",
        (enabled[k]["triggers"][0]["trigger"],)) for k in enabled)

    # enabling twice is harmless: the same guard, the same triggers
    for kind, target in ALL_GUARDS:
        again = enable(dsn, kind, target, mode="warn")
        assert again["changed"] is False and again["guard"] == enabled[kind]["guard"]
        assert again["triggers"] == enabled[kind]["triggers"]
    assert user_triggers(dsn) - before == added
    # another mode replaces it: a new guard, its triggers instead of the old ones
    block = enable(dsn, "drift", "s0_ledger", mode="block")
    assert block["changed"] is True and block["guard"] != enabled["drift"]["guard"]
    # (sealed: no deferred constraint trigger on the wallets, the first row queues the check)
    assert len(block["triggers"]) == len(enabled["drift"]["triggers"]) - 1
    now = user_triggers(dsn)
    assert not {(t["table"], t["trigger"]) for t in enabled["drift"]["triggers"]} & {
        (t[0], t[1]) for t in now}
    assert {(t["table"], t["trigger"]) for t in block["triggers"]} <= {(t[0], t[1]) for t in now}
    assert len(now - before) == len(added) - 1
    assert generated_functions(dsn) == {
        f"_recon.tg_drift_{block['guard']}_{side}()" for side in ("wallet", "ledger")}
    assert q(dsn, "SELECT mode FROM recon.guards WHERE kind = 'drift'") == [("block",)]
    tolerance = enable(dsn, "drift", "s0_ledger", mode="block", tolerance=0.01)
    assert tolerance["changed"] is True
    assert q(dsn, "SELECT tolerance FROM recon.guards WHERE kind = 'drift'") == [(D("0.01"),)]

    for kind, target in ALL_GUARDS:
        dropped = disable(dsn, kind, target)
        assert dropped["kind"] == kind
    assert user_triggers(dsn) == before
    assert guards(dsn) == [] and generated_functions(dsn) == set()
    app = Session(dsn)
    try:
        s0_drift_bad(app)
        s0_edit_bad(app)
        app.c.commit()
        assert app.warnings() == [] and pending(dsn) == 0 and open_alerts(dsn) == []
    finally:
        app.close()


def test_bad_input_fails_with_its_sqlstate_and_changes_nothing(
        seeded: Callable[..., str]) -> None:
    dsn = seeded(0, 1, 2)
    enable(dsn, "drift", "s0_ledger", mode="warn")
    before = (guards(dsn), user_triggers(dsn))
    cases = [
        ("RC406", "SELECT recon.enable_guard('nonsense', 's0_ledger')"),
        ("RC406", "SELECT recon.enable_guard(NULL, 's0_ledger')"),
        ("RC406", "SELECT recon.enable_guard('drift', 's0_ledger', '{\"mode\": \"strict\"}')"),
        ("RC406", "SELECT recon.enable_guard('drift', 's2_ledger', '{\"mode\": \"panic\"}')"),
        ("RC406", "SELECT recon.enable_guard('drift', 's2_ledger', '{\"tolerance\": -1}')"),
        ("RC406", "SELECT recon.enable_guard('drift', 's0_ledger', '{\"tolerance\": \"0.1\"}')"),
        ("RC106", "SELECT recon.enable_guard('drift', 's2_ledger', '{\"modes\": \"warn\"}')"),
        ("RC106", "SELECT recon.enable_guard('drift', 's2_ledger', '[\"warn\"]')"),
        ("RC107", "SELECT recon.enable_guard('drift', 'no_such_ledger')"),
        ("RC107", "SELECT recon.enable_guard('append_only', 's2_wallets')"),
        ("RC107", "SELECT recon.enable_guard('derived', 'no_such_check')"),
        ("RC107", "SELECT recon.enable_guard('lifecycle', 's1_operations')"),
        ("RC406", "SELECT recon.enable_guard('derived', 's0_balance')"),
        ("RC406", "SELECT recon.enable_guard('derived', 's1_holds')"),
        ("RC406", "SELECT recon.enable_guard('lifecycle', 's2_locked')"),
        ("RC406", "SELECT recon.enable_guard('double_entry', 's1_operations')"),
        ("RC106", "SELECT recon.enable_guard('double_entry', 's0_ledger')"),
        ("RC406", "SELECT recon.disable_guard('append_only', 's0_ledger')"),
        ("RC406", "SELECT recon.disable_guard('drift', 's2_ledger')"),
        ("RC406", "SELECT recon.disable_guard('nonsense', 's0_ledger')"),
    ]
    for sqlstate, sql in cases:
        err = fails(sqlstate, dsn, sql)
        assert err.diag.message_hint, sql
        assert (guards(dsn), user_triggers(dsn)) == before, sql


# --- the toolkit's own repair, and a hand-set fix id -----------------------------------------

@pytest.mark.core
def test_recon_fix_passes_a_blocking_drift_guard_a_hand_write_does_not(
        seeded: Callable[..., str], sessions: Callable[[str], Session]) -> None:
    dsn = seeded(0)
    enable(dsn, "drift", "s0_ledger", mode="warn")
    app = sessions(dsn)
    app.execute("UPDATE seed000.wallet_account SET balance = balance - 5 WHERE id = %s", (w0(6),))
    app.c.commit()  # drift injected under a warn guard: warned, kept
    assert len(app.warnings()) == 1
    summary = reconcile(dsn)
    assert summary["by_check"]["s0_balance"]["findings"] == 1
    enable(dsn, "drift", "s0_ledger", mode="block")
    stored = q1(dsn, "SELECT balance FROM seed000.wallet_account WHERE id = %s", (w0(6),))

    # the same stored-balance UPDATE by hand is blocked
    app.execute("UPDATE seed000.wallet_account SET balance = balance + 5 WHERE id = %s", (w0(6),))
    with pytest.raises(psycopg.Error) as ei:
        app.c.commit()
    assert ei.value.sqlstate == "RC401"

    steps = fix(dsn, dry_run=False, ticket="INC-9", reason="resync wallet 6", wallet_limit=1000)
    assert [s["strategy"] for s in steps] == ["resync"]
    assert q1(dsn, "SELECT balance FROM seed000.wallet_account WHERE id = %s", (w0(6),)) == (
        stored + 5)
    assert reconcile(dsn)["status"] == "synced"
    assert pending(dsn) == 0
    fix_id = q1(dsn, "SELECT max(id) FROM _recon.fix")

    # claiming to be that fix by hand gets nothing through
    app.execute("SELECT set_config('wallet_recon.fix_id', %s, TRUE)", (str(fix_id),))
    app.execute("UPDATE seed000.wallet_account SET balance = balance + 5 WHERE id = %s", (w0(6),))
    with pytest.raises(psycopg.Error) as ei:
        app.c.commit()
    assert ei.value.sqlstate == "RC401"
    app.execute("SELECT set_config('wallet_recon.fix_id', %s, FALSE)",  # session-wide too
                (str(fix_id),))
    app.c.commit()
    app.execute("UPDATE seed000.wallet_account SET balance = balance + 5 WHERE id = %s", (w0(7),))
    with pytest.raises(psycopg.Error) as ei:
        app.c.commit()
    assert ei.value.sqlstate == "RC401"
    assert q1(dsn, "SELECT balance FROM seed000.wallet_account WHERE id = %s", (w0(6),)) == (
        stored + 5)
    assert reconcile(dsn)["status"] == "synced"
    assert open_alerts(dsn)[0]["kind"] == "drift" and len(open_alerts(dsn)) == 1


def test_a_hand_write_in_the_transaction_of_a_fix_is_not_the_fixs(
        seeded: Callable[..., str], sessions: Callable[[str], Session]) -> None:
    """The fix's own statements pass; the caller's writes in the same transaction, before or
    after recon.fix(), are judged like any other."""
    dsn = seeded(0)
    q(dsn, "UPDATE seed000.wallet_account SET balance = balance - 5 WHERE id = %s", (w0(9),))
    assert reconcile(dsn)["findings"] == 1
    enable(dsn, "drift", "s0_ledger", mode="block")
    enable(dsn, "append_only", "s0_ledger", mode="block")
    before = snapshot(dsn, *[*S0_TABLES, "_recon.fix", "_recon.repair"], counted=True)
    apply = ("SELECT * FROM recon.fix(dry_run => false, ticket => 'INC-10', reason => 'resync',"
             " wallet_limit => 1000)")
    hand = "UPDATE seed000.wallet_account SET balance = balance + 5 WHERE id = %s"
    app = sessions(dsn)
    for order in ("hand write before the fix", "hand write after the fix"):
        if order.endswith("before the fix"):
            app.execute(hand, (w0(7),))
        assert len(app.execute(apply).fetchall()) == 1, order
        if order.endswith("after the fix"):
            app.execute(hand, (w0(7),))
        with pytest.raises(psycopg.Error) as ei:
            app.c.commit()
        assert ei.value.sqlstate == "RC401", order
        assert json.loads(ei.value.diag.message_detail)["item"] == w0(7), order
        assert snapshot(dsn, *[*S0_TABLES, "_recon.fix", "_recon.repair"], counted=True) == before, order
    # the append-only guard, too, judges a ledger UPDATE after the fix at once
    app.execute(apply)
    with pytest.raises(psycopg.Error) as ei:
        app.execute("UPDATE seed000.wallet_transaction SET amount = 0 WHERE id = %s", (ENTRY,))
    assert ei.value.sqlstate == "RC405"
    app.c.rollback()
    assert snapshot(dsn, *[*S0_TABLES, "_recon.fix", "_recon.repair"], counted=True) == before
    assert pending(dsn) == 0
    # the fix alone commits
    app.execute(apply)
    app.c.commit()
    assert reconcile(dsn)["status"] == "synced" and pending(dsn) == 0


def test_drift_guard_lets_ledger_updates_that_keep_the_books_pass(
        seeded: Callable[..., str], sessions: Callable[[str], Session]) -> None:
    """An UPDATE of ledger entries is staged with the old and the new effects: a memo edit moves
    nothing, an amount corrected together with the balance balances."""
    dsn = seeded(0)
    enable(dsn, "drift", "s0_ledger", mode="block")
    app = sessions(dsn)
    app.execute("UPDATE seed000.wallet_transaction SET description = 'memo'"
                " WHERE wallet_id = %s", (w0(1),))
    app.c.commit()
    app.execute("UPDATE seed000.wallet_transaction SET amount = amount - 1 WHERE id = %s",
                (ENTRY,))
    app.execute("UPDATE seed000.wallet_account SET balance = balance - 1 WHERE id = %s", (w0(1),))
    app.c.commit()
    assert app.warnings() == [] and pending(dsn) == 0
    # and one that does not keep them is still caught
    app.execute("UPDATE seed000.wallet_transaction SET amount = amount - 1 WHERE id = %s",
                (ENTRY,))
    with pytest.raises(psycopg.Error) as ei:
        app.c.commit()
    assert ei.value.sqlstate == "RC401"


# --- append-only: every change blocked, the audited escape -----------------------------------

def test_append_only_blocks_update_delete_truncate_and_the_audited_escape(
        seeded: Callable[..., str], sessions: Callable[[str], Session]) -> None:
    dsn = seeded(0)
    enable(dsn, "append_only", "s0_ledger", mode="block")
    before = snapshot(dsn, *S0_TABLES, counted=True)
    for sql in ("UPDATE seed000.wallet_transaction SET description = 'x'",
                "DELETE FROM seed000.wallet_transaction WHERE reference = 'order_1'",
                "TRUNCATE seed000.wallet_transaction"):
        err = fails("RC405", dsn, sql)
        assert "allow_ledger_change" in err.diag.message_hint
    assert snapshot(dsn, *S0_TABLES, counted=True) == before
    # the escape needs a ticket and a reason, and an append-only guard to escape from
    fails("RC303", dsn, "SELECT recon.allow_ledger_change('s0_ledger', ' ', 'why')")
    # tabs and newlines say nothing either (_recon.blank, as fix and reverse_fix)
    fails("RC303", dsn, "SELECT recon.allow_ledger_change('s0_ledger', 'T', E'\\t\\n ')")
    fails("RC303", dsn, "SELECT recon.allow_ledger_change('s0_ledger', E'\\r\\n', 'why')")
    fails("RC406", dsn, "SELECT recon.allow_ledger_change('s2_ledger', 'T', 'why')")
    assert q1(dsn, "SELECT count(*) FROM _recon.ledger_escape") == 0

    app = sessions(dsn)
    (escape,) = app.execute("SELECT recon.allow_ledger_change('s0_ledger', 'T', 'why')"
                            ).fetchone()
    (txid,) = app.execute("SELECT pg_current_xact_id()::text").fetchone()
    app.execute("UPDATE seed000.wallet_transaction SET description = 'GDPR' WHERE id = %s",
                (ENTRY,))
    app.c.commit()
    assert app.warnings() == []
    assert q(dsn, "SELECT description FROM seed000.wallet_transaction WHERE id = %s",
             (ENTRY,)) == [("GDPR",)]
    assert q(dsn, "SELECT id, txid::text, ledger_source, ticket, reason, allowed_by = session_user"
                  " FROM _recon.ledger_escape") == [(escape, txid, "s0_ledger", "T", "why", True)]
    # the next transaction is blocked again
    for sql in ("UPDATE seed000.wallet_transaction SET description = 'again' WHERE id = %s",
                "DELETE FROM seed000.wallet_transaction WHERE id = %s"):
        with pytest.raises(psycopg.Error) as ei:
            app.execute(sql, (ENTRY,))
        assert ei.value.sqlstate == "RC405"
        app.c.rollback()
    assert q(dsn, "SELECT description FROM seed000.wallet_transaction WHERE id = %s",
             (ENTRY,)) == [("GDPR",)]
    assert open_alerts(dsn) == []

    # warn mode: each changed entry is warned about, and the change is kept
    enable(dsn, "append_only", "s0_ledger", mode="warn")
    app.execute("DELETE FROM seed000.wallet_transaction WHERE reference = 'order_2'")
    app.execute("TRUNCATE seed000.payment_intent")  # not a guarded table
    app.c.commit()
    [w] = app.warnings()
    assert w.message == ("append_only guard on s0_ledger: DELETE of a ledger entry"
                                 " (wallet_transaction)")
    [alert] = open_alerts(dsn)
    assert (alert["kind"], alert["item"]) == ("append_only", md5_uuid("purchase2"))


# --- alerts from reconcile runs, acknowledgement -------------------------------------------------

def complete_without_release(dsn: str, act: str) -> None:
    q(dsn, "UPDATE seed002.activations SET status = 'completed', closed_at = now()"
           " WHERE id = %s", (act,))


def test_high_and_critical_runs_alert_low_and_medium_do_not(
        seeded: Callable[..., str], listen: Callable[[str], psycopg.Connection]) -> None:
    dsn = seeded(2)
    listener = listen(dsn)
    # LOW, then MEDIUM: an activation published without its lock (7.50, then 10.01)
    act = md5_uuid("act100-9")
    q(dsn, "INSERT INTO seed002.activations (id, workspace_id, type, title, status,"
           " total_budget, created_at, published_at) VALUES (%s, %s, 'sm_panel',"
           " 'Campaign 100-9', 'live', 7.50, now(), now())", (act, ws(100)))
    assert reconcile(dsn)["max_severity"] == "LOW"
    q(dsn, "UPDATE seed002.activations SET total_budget = 10.01 WHERE id = %s", (act,))
    assert reconcile(dsn)["max_severity"] == "MEDIUM"
    assert open_alerts(dsn) == []
    no_alert_notified(dsn, listener)

    # HIGH: several wallets over-locked
    targets = q(dsn, """
        SELECT DISTINCT ON (a.workspace_id) a.id::text FROM seed002.activations AS a
        WHERE a.status = 'live' AND a.total_budget > a.spent_amount
        ORDER BY a.workspace_id, a.created_at LIMIT 10""")
    assert len(targets) == 10
    for (t,) in targets[:2]:
        complete_without_release(dsn, t)
    high = reconcile(dsn)
    assert high["max_severity"] == "HIGH"
    [alert] = open_alerts(dsn)
    assert (alert["kind"], alert["severity"], alert["run_id"], alert["guard_id"]) == (
        "run", "HIGH", high["run_id"], None)
    assert alert["details"]["findings"] == high["findings"] == 3
    assert alert["details"]["max_severity"] == "HIGH"
    payload = next_alert(listener)
    assert (payload["alert_id"], payload["kind"], payload["severity"], payload["run_id"],
            payload["findings"]) == (alert["id"], "run", "HIGH", high["run_id"], 3)
    no_alert_notified(dsn, listener)

    # CRITICAL: ten wallets
    for (t,) in targets[2:]:
        complete_without_release(dsn, t)
    critical = reconcile(dsn)
    assert critical["max_severity"] == "CRITICAL"
    newest, oldest = open_alerts(dsn)[::-1]
    assert oldest["id"] == alert["id"]
    assert (newest["kind"], newest["severity"], newest["run_id"]) == (
        "run", "CRITICAL", critical["run_id"])
    payload = next_alert(listener)
    assert (payload["alert_id"], payload["severity"]) == (newest["id"], "CRITICAL")

    # acknowledging: bad input first, changing nothing
    state = snapshot(dsn, *["_recon.alert"], counted=True)
    for sqlstate, sql, params in [
            ("RC408", "SELECT recon.acknowledge_alert(ARRAY[%s]::bigint[], 'seen')", (10**9,)),
            ("RC408", "SELECT recon.acknowledge_alert(ARRAY[%s, %s]::bigint[], 'seen')",
             (alert["id"], 10**9)),
            ("RC408", "SELECT recon.acknowledge_alert(ARRAY[%s, NULL]::bigint[], 'seen')",
             (alert["id"],)),
            ("RC408", "SELECT recon.acknowledge_alert(ARRAY[]::bigint[], 'seen')", None),
            ("RC408", "SELECT recon.acknowledge_alert(NULL, 'seen')", None),
            ("RC303", "SELECT recon.acknowledge_alert(ARRAY[%s]::bigint[], '  ')", (alert["id"],)),
            ("RC303", "SELECT recon.acknowledge_alert(ARRAY[%s]::bigint[], NULL)", (alert["id"],))]:
        fails(sqlstate, dsn, sql, params)
        assert snapshot(dsn, *["_recon.alert"], counted=True) == state, sql
    assert q1(dsn, "SELECT recon.acknowledge_alert(ARRAY[%s]::bigint[], 'INC-42: seen')",
              (alert["id"],)) == 1
    assert [a["id"] for a in open_alerts(dsn)] == [newest["id"]]
    assert q(dsn, "SELECT acknowledgement, acknowledged_by = session_user,"
                  " acknowledged_at IS NOT NULL FROM _recon.alert WHERE id = %s",
             (alert["id"],)) == [("INC-42: seen", True, True)]
    # acknowledging again: nothing was open
    assert q1(dsn, "SELECT recon.acknowledge_alert(ARRAY[%s, %s]::bigint[], 'both')",
              (alert["id"], newest["id"])) == 1
    assert open_alerts(dsn) == []
    assert q1(dsn, "SELECT acknowledgement FROM _recon.alert WHERE id = %s",
              (alert["id"],)) == "INC-42: seen"


# --- scheduling with pg_cron ------------------------------------------------------------------

def test_schedule_without_pg_cron_names_the_alternative(db: str) -> None:
    err = fails("RC407", db, "SELECT recon.schedule_reconcile()")
    assert "crontab" in err.diag.message_hint
    assert 'wallet-recon check --database "$DATABASE_URL" --incremental' in err.diag.message_hint
    assert "0 3 * * *" in err.diag.message_hint
    err = fails("RC407", db, "SELECT recon.schedule_reconcile('30 2 * * *', 'full')")
    assert "30 2 * * *" in err.diag.message_hint
    assert 'wallet-recon check --database "$DATABASE_URL".' in err.diag.message_hint
    fails("RC407", db, "SELECT recon.unschedule_reconcile()")
    fails("RC201", db, "SELECT recon.schedule_reconcile('0 3 * * *', 'nightly')")


@pytest.fixture
def cron_db(server: Server, template_db: str) -> Iterator[str]:
    """The database pg_cron schedules in (conftest.CRON_DATABASE), a clone of the installed
    template, with CREATE EXTENSION pg_cron; dropped afterwards."""
    janitor = server.janitor(CRON_DATABASE, template_db)
    janitor.init()
    dsn = server.dsn_for(CRON_DATABASE)
    try:
        q(dsn, "CREATE EXTENSION pg_cron")
        yield dsn
    finally:
        # pg_cron's launcher keeps a connection to it
        q(server.dsn, f"DROP DATABASE IF EXISTS {CRON_DATABASE} WITH (FORCE)")


def test_schedule_with_pg_cron(cron_db: str) -> None:
    jobs = "SELECT jobid, jobname, schedule, command, username = current_user FROM cron.job"
    job = q1(cron_db, "SELECT recon.schedule_reconcile()")
    assert isinstance(job, int)
    assert q(cron_db, jobs) == [(job, "wallet-recon reconcile", "0 3 * * *",
                                 "CALL recon.reconcile_run(NULL, 'incremental')", True)]
    # the same name again: still one job, rescheduled
    again = q1(cron_db, "SELECT recon.schedule_reconcile('30 2 * * *', 'full')")
    assert q(cron_db, jobs) == [(again, "wallet-recon reconcile", "30 2 * * *",
                                 "CALL recon.reconcile_run(NULL, 'full')", True)]
    other = q1(cron_db, "SELECT recon.schedule_reconcile('0 4 * * 0', 'full', 'weekly full')")
    assert other != again and len(q(cron_db, jobs)) == 2
    fails("RC201", cron_db, "SELECT recon.schedule_reconcile('0 3 * * *', 'nightly')")
    assert len(q(cron_db, jobs)) == 2
    assert q1(cron_db, "SELECT recon.unschedule_reconcile()") is True
    assert q1(cron_db, "SELECT recon.unschedule_reconcile('weekly full')") is True
    assert q(cron_db, jobs) == []
    # the command it schedules runs as written
    assert q1(cron_db, "SELECT recon.reconcile(NULL, 'incremental')")["status"] == "synced"


def test_drift_guard_refuses_truncate_of_either_table(seeded, sessions) -> None:
    """Found by the bank test: row triggers do not see a TRUNCATE, which removes every
    wallet's ledger effects (or stored balances) at once."""
    dsn = seeded(0)
    enable(dsn, "drift", "s0_ledger", mode="block")
    rows = q1(dsn, "SELECT count(*) FROM seed000.wallet_transaction")
    err = fails("RC401", dsn, "TRUNCATE seed000.wallet_transaction")
    assert "TRUNCATE of seed000.wallet_transaction" in str(err)
    assert q1(dsn, "SELECT count(*) FROM seed000.wallet_transaction") == rows
    enable(dsn, "drift", "s0_ledger", mode="warn")
    s = sessions(dsn)
    with s.c.transaction():
        s.execute("SAVEPOINT x")
        s.execute("TRUNCATE seed000.wallet_transaction")
        s.execute("ROLLBACK TO SAVEPOINT x")  # (warned, then undone by hand: it is a test)
    assert [w.message for w in s.warnings()] == [
        "drift guard on s0_ledger: TRUNCATE of seed000.wallet_transaction: every wallet's "
        "ledger effects vanish without their counterpart"]
    disable(dsn, "drift", "s0_ledger")
    assert not q(dsn, "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'recon_guard_%'")


def test_enable_guard_without_a_target_is_rc107(db: str) -> None:
    for kind in ("drift", "append_only", "double_entry", "derived", "lifecycle"):
        fails("RC107", db, "SELECT recon.enable_guard(%s, NULL)", (kind,))
    assert q1(db, "SELECT count(*) FROM recon.guards") == 0
