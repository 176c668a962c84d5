-- wallet-recon demo, application 1 of 4: seed 000, the runbook "Balance Discrepancy".
--
-- A members' wallet app in rand (ZAR): wallet_account (stored balance), wallet_transaction (a
-- signed amount, the running balance after it, the payment or order it books) and
-- payment_intent (the payment gateway's view of every top-up). The tables of
-- tests/fixtures/seed000.sql (demo/schema/seed000.sql), at demo scale: 3,000 wallets (200 of
-- them opened and never used), about 26,000 transactions and 10,000 payment intents, generated
-- set-based and deterministic (every amount and time is derived from md5 of a name, no random()).
--
-- Then the application is registered through the public API (recon.register_*), and the
-- runbook's incidents are injected, each one as the application's bug would have left it.
-- demo/drop.sql removes all of it. (noqa: RF04 marks the seed's column names that are keywords.)
-- No JIT for these one-off generators (it costs more than it saves); transaction-local.
SELECT set_config('jit', 'off', TRUE);
CREATE SCHEMA recon_demo_runbook;
COMMENT ON SCHEMA recon_demo_runbook IS
'created by wallet-recon demo: seed 000 (runbook "Balance Discrepancy"), ZAR member wallets. '
'Remove with demo/drop.sql.';

SET search_path = recon_demo_runbook;
-- @include schema/seed000.sql
RESET search_path;

-- 3,000 wallets. Members 100001-102800 are active, 102801-103000 opened a wallet and never used
-- it (a zero balance and no transactions is clean).
INSERT INTO recon_demo_runbook.wallet_account (id, member_id, updated_at)
SELECT
    md5('runbook-wallet-' || i)::uuid AS id,
    100000 + i AS member_id,
    timestamptz '2025-12-31 08:00:00+02' + make_interval(mins => i) AS updated_at
FROM generate_series(1, 3000) AS i;

-- The ledger. An active wallet has 4-15 events, six days apart: every third one (the first
-- among them) a top-up of R150-R1000 from the gateway, the others purchases of R5.00-R69.99.
-- A top-up always comes before the two purchases after it, so no balance goes below zero.
INSERT INTO recon_demo_runbook.wallet_transaction (
    id, wallet_id, type, amount, balance_after, reference, description, posted_at
)
SELECT
    md5('runbook-txn-' || e.reference)::uuid AS id,
    e.wallet_id,
    e.entry_type,
    e.amount,
    sum(e.amount) OVER (PARTITION BY e.wallet_id ORDER BY e.posted_at) AS balance_after,
    e.reference,
    e.description,
    e.posted_at
FROM (
    SELECT
        md5('runbook-wallet-' || w.i)::uuid AS wallet_id,
        CASE WHEN k.k % 3 = 1 THEN 'CREDIT' ELSE 'DEBIT' END AS entry_type,
        CASE
            WHEN k.k % 3 = 1 THEN 150 + 10 * (x.h % 86)
            ELSE -(5 + (x.h % 6500) / 100.0)
        END AS amount,
        CASE
            WHEN k.k % 3 = 1 THEN 'pi_' || w.i || '_' || k.k
            ELSE 'order_' || w.i || '_' || k.k
        END AS reference,
        CASE WHEN k.k % 3 = 1 THEN 'top-up' ELSE 'purchase' END AS description,
        timestamptz '2026-01-01 06:00:00+02'
        + make_interval(days => 6 * (k.k - 1) + x.h % 5, hours => x.h % 14, mins => x.h % 60)
            AS posted_at
    FROM (
        SELECT
            i,
            ('x' || substr(md5('runbook-' || i), 1, 7))::bit(28)::integer AS h
        FROM generate_series(1, 2800) AS i
    ) AS w
    CROSS JOIN LATERAL generate_series(1, 4 + w.h % 12) AS k (k)
    CROSS JOIN LATERAL (
        SELECT ('x' || substr(md5('runbook-' || w.i || '-' || k.k), 1, 7))::bit(28)::integer AS h
    ) AS x
) AS e
ORDER BY e.posted_at, e.wallet_id;

-- The gateway's side: every top-up is a COMPLETED wallet payment; some members also paid a
-- merchant by card (not a wallet top-up) or had a top-up fail (never booked): the orphan
-- check must leave both alone.
INSERT INTO recon_demo_runbook.payment_intent (id, wallet_id, amount, status, source_id)
SELECT
    t.reference AS id,
    t.wallet_id,
    t.amount,
    'COMPLETED' AS status,
    'wallet-' || w.member_id AS source_id
FROM recon_demo_runbook.wallet_transaction AS t
INNER JOIN recon_demo_runbook.wallet_account AS w ON t.wallet_id = w.id
WHERE t.type = 'CREDIT';
INSERT INTO recon_demo_runbook.payment_intent (id, wallet_id, amount, status, source_id)
SELECT
    'pi_' || i || CASE WHEN i % 9 = 0 THEN '_failed' ELSE '_card' END AS id,
    md5('runbook-wallet-' || i)::uuid AS wallet_id,
    100 + i % 400 AS amount,
    CASE WHEN i % 9 = 0 THEN 'FAILED' ELSE 'COMPLETED' END AS status,
    CASE WHEN i % 9 = 0 THEN 'wallet-' ELSE 'card-' END || (100000 + i) AS source_id
FROM generate_series(1, 2800) AS i
WHERE i % 9 = 0 OR i % 13 = 0;

-- Stored balances: what the ledger says (the app keeps them in step).
UPDATE recon_demo_runbook.wallet_account AS w
SET balance = t.balance, updated_at = t.last_at
FROM (
    SELECT
        wallet_id,
        sum(amount) AS balance,
        max(posted_at) AS last_at
    FROM recon_demo_runbook.wallet_transaction
    GROUP BY wallet_id
) AS t
WHERE w.id = t.wallet_id;

ANALYZE recon_demo_runbook.wallet_account;
ANALYZE recon_demo_runbook.wallet_transaction;
ANALYZE recon_demo_runbook.payment_intent;

-- Registration, through the public API only.
SELECT recon.register_wallet_source(
    'runbook_wallets', 'recon_demo_runbook.wallet_account', 'id', ARRAY['balance'],
    '{"currency": "currency", "owner": "member_id"}'
);
SELECT recon.register_ledger_source(
    'runbook_ledger', 'runbook_wallets', 'recon_demo_runbook.wallet_transaction', 'wallet_id',
    'amount',
    '{"entry_id": "id", "reference": "reference", "posted_at": "posted_at", "order_by": "seq",
      "balance_after": "balance_after"}'
);
-- The runbook's severity table: one wallet under R10 is LOW, over it MEDIUM, several HIGH, a
-- systematic pattern CRITICAL; its nightly job alerts on a mismatch over one cent.
SELECT recon.register_check('runbook_balance', 'balance', '{
    "ledger": "runbook_ledger", "currency": "ZAR", "tolerance": 0.01, "low_limit": 10}');
SELECT recon.register_check('runbook_duplicates', 'duplicate', '{
    "ledger": "runbook_ledger", "currency": "ZAR", "low_limit": 10}');
SELECT recon.register_check('runbook_orphans', 'orphan', '{
    "ledger": "runbook_ledger", "table": "recon_demo_runbook.payment_intent",
    "id_column": "id", "amount_column": "amount", "wallet_column": "wallet_id",
    "filters": {"status": ["COMPLETED"]}, "like": {"source_id": "wallet-%"},
    "currency": "ZAR", "low_limit": 10}');
SELECT recon.register_check('runbook_chain', 'chain', '{
    "ledger": "runbook_ledger", "currency": "ZAR", "tolerance": 0.01, "low_limit": 10}');

-- Repairs post into wallet_transaction as the runbook's ADJUSTMENT rows (reference
-- RECON-<date>-<ticket>, a missing payment under its own id, a reversal as REV-<entry id>).
SELECT recon.register_writer('runbook_ledger', '{
    "columns": {"id": "{uuid}", "type": "ADJUSTMENT", "description": "{description}"}}');
-- What may be repaired without a human: a stored balance the ledger contradicts by up to R50
-- is re-synced (the runbook's bulk reconciliation); a completed payment the ledger never got
-- is booked, and a duplicated top-up reversed, up to R1000 a wallet.
SELECT recon.set_fix_policy(
    'runbook_balance',
    '{"strategy": "resync", "wallet_limit": 50, "run_limit": 500}'
);
SELECT recon.set_fix_policy(
    'runbook_orphans',
    '{"strategy": "post_missing", "wallet_limit": 1000, "run_limit": 10000}'
);
SELECT recon.set_fix_policy(
    'runbook_duplicates',
    '{"strategy": "reverse", "wallet_limit": 1000, "run_limit": 5000}'
);

-- The incidents.

-- Seed 000, "Missing Transaction: payment completed but transaction not posted; check payment
-- provider webhook logs; verify outbox processing". The outbox worker was down from 14:00 to
-- 14:50 on 2 April: six top-ups completed at the gateway and were credited to the wallets, but
-- no wallet_transaction was written. Six wallets, one cause: the balance findings are a
-- systematic pattern (CRITICAL), the orphaned payments themselves HIGH.
INSERT INTO recon_demo_runbook.payment_intent (id, wallet_id, amount, status, source_id)
SELECT
    'pi_outage_' || o.n AS id,
    md5('runbook-wallet-' || o.i)::uuid AS wallet_id,
    o.amount,
    'COMPLETED' AS status,
    'wallet-' || (100000 + o.i) AS source_id
FROM (
    VALUES
    (1, 117, 250.00), (2, 642, 400.00), (3, 1038, 150.00), (4, 1529, 600.00),
    (5, 2013, 320.00), (6, 2671, 480.00)
) AS o (n, i, amount);
UPDATE recon_demo_runbook.wallet_account AS w
SET
    balance = w.balance + p.amount,
    updated_at = timestamptz '2026-04-02 14:00:00+02' + make_interval(mins => 8 * p.n)
FROM (
    SELECT
        wallet_id,
        amount,
        substr(id, 11)::integer AS n
    FROM recon_demo_runbook.payment_intent
    WHERE id LIKE 'pi\_outage\_%'
) AS p
WHERE w.id = p.wallet_id;

-- Seed 000, "Duplicate Transaction: same payment posted twice; check for duplicate
-- references". The gateway retried the webhook for member 100555's first top-up and the app
-- booked and credited it again. One wallet, R580.00 (MEDIUM).
INSERT INTO recon_demo_runbook.wallet_transaction (
    id, wallet_id, type, amount, balance_after, reference, description, posted_at
)
SELECT
    md5('runbook-txn-duplicate')::uuid AS id,
    t.wallet_id,
    t.type,
    t.amount,
    w.balance + t.amount AS balance_after,
    t.reference,
    'top-up (webhook retried)' AS description,
    timestamptz '2026-04-02 09:12:00+02' AS posted_at
FROM recon_demo_runbook.wallet_transaction AS t
INNER JOIN recon_demo_runbook.wallet_account AS w ON t.wallet_id = w.id
WHERE t.reference = 'pi_555_1';
UPDATE recon_demo_runbook.wallet_account AS w
SET balance = w.balance + t.amount, updated_at = t.posted_at
FROM recon_demo_runbook.wallet_transaction AS t
WHERE t.id = md5('runbook-txn-duplicate')::uuid AND w.id = t.wallet_id;

-- Seed 000, "If Erroneous Debit" / "Application Bug: incorrect amount calculation". A fee job
-- released on 3 April charged two members a service fee straight on the stored balance,
-- without a wallet_transaction: R13.50 and R4.20.
UPDATE recon_demo_runbook.wallet_account AS w
SET balance = w.balance - d.amount, updated_at = timestamptz '2026-04-03 02:00:00+02'
FROM (VALUES (1201, 13.50), (2450, 4.20)) AS d (i, amount)
WHERE w.id = md5('runbook-wallet-' || d.i)::uuid;

-- Seed 000, "Race Condition: concurrent balance updates; check timestamps of recent
-- transactions". Two top-ups of member 100808 (R10 and R20) were processed at the same moment:
-- both read the same balance, both transactions carry a running balance computed from it, and
-- the second write won. The wallet is R10 short and its chain breaks at the second entry.
INSERT INTO recon_demo_runbook.payment_intent (id, wallet_id, amount, status, source_id)
VALUES
('pi_race_1', md5('runbook-wallet-808')::uuid, 10.00, 'COMPLETED', 'wallet-100808'),
('pi_race_2', md5('runbook-wallet-808')::uuid, 20.00, 'COMPLETED', 'wallet-100808');
INSERT INTO recon_demo_runbook.wallet_transaction (
    id, wallet_id, type, amount, balance_after, reference, description, posted_at
)
SELECT
    md5('runbook-txn-' || p.id)::uuid AS id,
    w.id AS wallet_id,
    'CREDIT' AS entry_type,
    p.amount,
    w.balance + p.amount AS balance_after,
    p.id AS reference,
    'top-up' AS description,
    timestamptz '2026-04-03 16:30:00+02' AS posted_at
FROM recon_demo_runbook.wallet_account AS w
INNER JOIN recon_demo_runbook.payment_intent AS p ON w.id = p.wallet_id
WHERE p.id IN ('pi_race_1', 'pi_race_2')
ORDER BY p.id;
UPDATE recon_demo_runbook.wallet_account AS w
SET balance = w.balance + 20.00, updated_at = timestamptz '2026-04-03 16:30:00+02'
WHERE w.id = md5('runbook-wallet-808')::uuid;
