-- wallet-recon demo, application 4 of 4: seed 003, the "Wallet Backfill Execution Report".
-- A trading community's coins (COIN), the shapes of tests/fixtures/seed003.sql: a legacy
-- balance users.total_coins, and a double-entry coin ledger (user_wallet,
-- coin_ledger_transactions, coin_journal_entries) whose 'system' wallet is the offset account
-- of every coin that enters circulation. At demo scale, set-based and deterministic
-- (md5-derived): 4,000 users (every tenth never earned a coin), 17,600 ledger transactions and
-- 35,000 journal entries (opening balances, tips between users, rewards). It is the state after
-- the report's backfill: every user has a wallet, the journal balances, and the dual write keeps
-- users.total_coins equal to each wallet's balance. Then: registration through the public API,
-- and the report's problems. demo/drop.sql removes it all. (noqa: RF04 marks the seed's column
-- names that are keywords.)
-- No JIT for these one-off generators (it costs more than it saves); transaction-local.
SELECT set_config('jit', 'off', TRUE);
CREATE SCHEMA recon_demo_coins;
COMMENT ON SCHEMA recon_demo_coins IS
'created by wallet-recon demo: seed 003 (wallet backfill: legacy total_coins, double-entry '
'coin journal), COIN wallets. Remove with demo/drop.sql.';

SET search_path = recon_demo_coins;
-- @include schema/seed003.sql
RESET search_path;
CREATE INDEX coin_journal_entries_wallet ON recon_demo_coins.coin_journal_entries (wallet_id);
CREATE INDEX coin_journal_entries_transaction
ON recon_demo_coins.coin_journal_entries (transaction_id);

-- The system user (the report's step 2), the offset account; 4,000 users; a wallet each.
INSERT INTO recon_demo_coins.users (id, username, email, role, is_bot, created_at)
VALUES ('system', 'system', 'system@yoforex.internal', 'admin', TRUE, '2025-11-02 09:00+00');
INSERT INTO recon_demo_coins.users (id, username, email, created_at)
SELECT
    md5('coins-user-' || i)::uuid::text AS id,
    'trader' || i AS username,
    'trader' || i || '@example.com' AS email,
    timestamptz '2025-05-01 00:00:00+00' + make_interval(hours => i) AS created_at
FROM generate_series(1, 4000) AS i;

INSERT INTO recon_demo_coins.user_wallet (user_id, wallet_id, created_at, updated_at)
SELECT
    id AS user_id,
    md5('coins-wallet-' || id)::uuid::text AS wallet_id,
    timestamptz '2025-11-02 10:00:00+00' AS created_at,
    timestamptz '2025-11-02 10:00:00+00' AS updated_at
FROM recon_demo_coins.users;

-- The journal: each ledger transaction credits one user (user_a) and debits another, or the
-- system wallet (user 0), by the same amount:
--   opening balances  backfillOpeningBalances: (i * 7919) mod 9000 + 100 coins to user i
--   tips              16,000 tips t: user 1 + 7t mod 4000 sends 5-24 coins to user
--                     1 + (13t + 5) mod 4000 (neither of them a zero-coin user); everybody
--                     sends four at most, so nobody goes below zero
--   rewards           every third user is rewarded 50-499 coins by the system
WITH journal AS (
    SELECT
        x.txn,
        x.txn_type,
        x.initiator,
        x.posted,
        x.amount,
        e.n,
        e.who,
        e.direction,
        e.memo
    FROM (
        SELECT
            i AS initiator,
            i AS user_a,
            'open-' || md5('coins-user-' || i)::uuid::text AS txn,
            'opening_balance' AS txn_type,
            timestamptz '2025-11-02 10:05:00+00' AS posted,
            (i * 7919) % 9000 + 100 AS amount,
            0 AS user_b,
            'Opening balance migration' AS memo_a,
            'Opening balance offset' AS memo_b
        FROM generate_series(1, 4000) AS i
        WHERE i % 10 <> 0
        UNION ALL
        SELECT
            1 + (7 * t) % 4000 AS initiator,
            1 + (13 * t + 5) % 4000 AS user_a,
            'tip-' || t AS txn,
            'transfer' AS txn_type,
            timestamptz '2025-11-03 12:00:00+00' + make_interval(mins => 2 * t) AS posted,
            5 + ('x' || substr(md5('coins-tip-' || t), 1, 7))::bit(28)::integer % 20 AS amount,
            1 + (7 * t) % 4000 AS user_b,
            'Tip received' AS memo_a,
            'Tip sent' AS memo_b
        FROM generate_series(1, 16000) AS t
        WHERE (1 + (7 * t) % 4000) % 10 <> 0 AND (1 + (13 * t + 5) % 4000) % 10 <> 0
        UNION ALL
        SELECT
            i AS initiator,
            i AS user_a,
            'reward-' || i AS txn,
            'reward' AS txn_type,
            timestamptz '2025-11-20 18:00:00+00' + make_interval(mins => i) AS posted,
            50 + ('x' || substr(md5('coins-reward-' || i), 1, 7))::bit(28)::integer % 450
                AS amount,
            0 AS user_b,
            'Weekly reward' AS memo_a,
            'Reward paid' AS memo_b
        FROM generate_series(3, 4000, 3) AS i
        WHERE i % 10 <> 0
    ) AS x
    CROSS JOIN LATERAL (
        VALUES (1, x.user_a, 'credit', x.memo_a), (2, x.user_b, 'debit', x.memo_b)
    ) AS e (n, who, direction, memo)
),

txn AS (
    INSERT INTO recon_demo_coins.coin_ledger_transactions (
        id, type, created_at, initiator_user_id, context
    )
    SELECT
        txn,
        txn_type,
        posted,
        md5('coins-user-' || initiator)::uuid::text AS initiator_user_id,
        CASE txn_type
            WHEN 'opening_balance' THEN '{"migratedFrom": "users.totalCoins"}'::jsonb
            WHEN 'transfer' THEN '{"note": "tip"}'::jsonb
            ELSE '{"campaign": "weekly"}'::jsonb
        END AS context
    FROM journal
    WHERE n = 1
)

INSERT INTO recon_demo_coins.coin_journal_entries (
    transaction_id, direction, amount, memo, created_at, wallet_id
)
SELECT
    txn,
    direction,
    amount,
    memo,
    posted,
    md5(
        'coins-wallet-'
        || CASE WHEN who = 0 THEN 'system' ELSE md5('coins-user-' || who)::uuid::text END
    )::uuid::text AS wallet_id
FROM journal
ORDER BY posted ASC, txn ASC, n ASC;

-- Stored balances from the journal (the report's step 5), and the legacy column kept in step
-- by the dual write: every user's total_coins equals their wallet balance; the system's is 0.
UPDATE recon_demo_coins.user_wallet AS w
SET balance = e.balance, updated_at = e.last_at
FROM (
    SELECT
        wallet_id,
        max(created_at) AS last_at,
        sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END) AS balance
    FROM recon_demo_coins.coin_journal_entries
    GROUP BY wallet_id
) AS e
WHERE w.wallet_id = e.wallet_id;
UPDATE recon_demo_coins.users AS u
SET total_coins = w.balance
FROM recon_demo_coins.user_wallet AS w
WHERE w.user_id = u.id AND u.id <> 'system';

ANALYZE recon_demo_coins.users;
ANALYZE recon_demo_coins.user_wallet;
ANALYZE recon_demo_coins.coin_ledger_transactions;
ANALYZE recon_demo_coins.coin_journal_entries;

-- Registration, through the public API only: the report's verify-wallet-integrity.ts as
-- checks. Each wallet against its journal; users without a wallet (their legacy coins are what
-- the wallet should hold); the treasury (the wallets, the system offset wallet aside, against
-- users.total_coins); double entry.
SELECT recon.register_wallet_source(
    'coins_wallets', 'recon_demo_coins.user_wallet', 'wallet_id', ARRAY['balance'],
    '{"owner": "user_id"}'
);
SELECT recon.register_ledger_source(
    'coins_journal', 'coins_wallets', 'recon_demo_coins.coin_journal_entries', 'wallet_id',
    'amount',
    '{"direction": "direction", "credit": "credit", "debit": "debit",
      "journal": "transaction_id", "entry_id": "id", "order_by": "id", "posted_at": "created_at"}'
);
SELECT recon.register_check(
    'coins_balance', 'balance', '{"ledger": "coins_journal", "currency": "COIN", "low_limit": 10}'
);
SELECT recon.register_check('coins_coverage', 'coverage', '{
    "wallet": "coins_wallets", "owner_table": "recon_demo_coins.users", "owner_key": "id",
    "owner_balance": "total_coins", "exclude_column": "id", "exclude_values": ["system"],
    "currency": "COIN", "low_limit": 10}');
SELECT recon.register_check('coins_treasury', 'total', '{
    "stored": {"table": "recon_demo_coins.user_wallet", "column": "balance",
               "exclude_column": "user_id", "exclude_values": ["system"]},
    "expected": {"table": "recon_demo_coins.users", "column": "total_coins"},
    "currency": "COIN", "low_limit": 10}');
SELECT recon.register_check('coins_double_entry', 'journal', '{
    "ledger": "coins_journal", "currency": "COIN", "low_limit": 10}');

-- The writer: the ledger service posting a balanced transaction (one
-- coin_ledger_transactions row, the wallet's entry and the opposite one on the system
-- wallet), as the report's fix-missing-journal-entries.ts did. It writes entries only:
-- recon.fix() and recon.backfill() move the stored balances.
CREATE FUNCTION recon_demo_coins.post_recon_entry(p_request jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_txn text := 'recon-' || gen_random_uuid();
    v_amount bigint := abs((p_request ->> 'amount')::numeric);
    v_ids jsonb;
BEGIN
    INSERT INTO recon_demo_coins.coin_ledger_transactions (id, type, context)
    VALUES (v_txn, 'recon_' || (p_request ->> 'purpose'),
            jsonb_build_object('ticket', p_request ->> 'ticket',
                               'reference', p_request ->> 'reference'));
    WITH e AS (
        INSERT INTO recon_demo_coins.coin_journal_entries (transaction_id, wallet_id, direction,
                                                           amount, memo)
        VALUES (v_txn, p_request ->> 'wallet', p_request ->> 'entry_type', v_amount,
                p_request ->> 'description'),
               (v_txn, p_request ->> 'offset_wallet',
                CASE p_request ->> 'entry_type' WHEN 'credit' THEN 'debit' ELSE 'credit' END,
                v_amount, 'offset: ' || (p_request ->> 'description'))
        RETURNING id
    )
    SELECT jsonb_agg(e.id ORDER BY e.id) INTO v_ids FROM e;
    RETURN v_ids;
END;
$$;

SELECT recon.register_writer('coins_journal', jsonb_build_object(
    'function', 'recon_demo_coins.post_recon_entry(jsonb)',
    'offset_wallet', md5('coins-wallet-system')::uuid::text
));
-- A stored balance the journal does not explain was right (the legacy total says so): the
-- journal catches up, against the system wallet, up to 1,000 coins a wallet.
SELECT recon.set_fix_policy(
    'coins_balance', '{"strategy": "adjust", "wallet_limit": 1000, "run_limit": 10000}'
);
-- A transaction that does not balance is history: it is not rewritten, it is acknowledged
-- (audited, with the fix's ticket and reason) when the coins are repaired.
SELECT recon.set_fix_policy('coins_double_entry', '{"strategy": "acknowledge"}');

-- The incidents.

-- Seed 003, "Missing Wallets: 109 users had NO wallet records ... Root Cause:
-- backfillOpeningBalances() method was never executed". Twelve users signed up through the
-- legacy code path after the backfill: their coins are in users.total_coins and they have no
-- wallet; the treasury drifts by exactly what they hold. Twelve owners: CRITICAL.
INSERT INTO recon_demo_coins.users (id, username, email, total_coins, created_at)
SELECT
    md5('coins-user-' || i)::uuid::text AS id,
    'latecomer' || i AS username,
    'latecomer' || i || '@example.com' AS email,
    (i * 7919) % 9000 + 100 AS total_coins,
    timestamptz '2025-11-25 08:00:00+00' + make_interval(hours => i - 4000) AS created_at
FROM generate_series(4001, 4012) AS i;

-- Seed 003, "some users had wallets created without journal entries" (the report's step 3,
-- repaired by fix-missing-journal-entries.ts): two half-migrated users, a wallet holding their
-- coins and no opening-balance entries behind it.
WITH u AS (
    INSERT INTO recon_demo_coins.users (id, username, email, total_coins, created_at)
    SELECT
        md5('coins-user-' || h.i)::uuid::text AS id,
        'halfmigrated' || h.i AS username,
        'halfmigrated' || h.i || '@example.com' AS email,
        h.coins AS total_coins,
        timestamptz '2025-11-26 08:00:00+00' AS created_at
    FROM (VALUES (4101, 640), (4102, 875)) AS h (i, coins)
    RETURNING id, total_coins, created_at
)

INSERT INTO recon_demo_coins.user_wallet (balance, created_at, updated_at, user_id, wallet_id)
SELECT
    total_coins AS balance,
    created_at,
    created_at AS updated_at,
    id AS user_id,
    md5('coins-wallet-' || id)::uuid::text AS wallet_id
FROM u;

-- Seed 003, "Real Users: 21 coins total (3 users) ... 10 coins, 8 coins, 3 coins. Cause:
-- Ongoing dual-write issue": a bonus paid by the legacy code path moved users.total_coins and
-- the wallet balance and posted no journal transaction. And the report's "Double-Entry
-- Accounting: total debits = total credits", broken: a 250-coin tip from trader21 to trader22
-- moved both wallets and both legacy totals, but only the receiver's credit reached the journal.
INSERT INTO recon_demo_coins.coin_ledger_transactions (
    id, type, initiator_user_id, context, created_at
)
VALUES (
    'tip-lost-debit', 'transfer', md5('coins-user-21')::uuid::text, '{"note": "tip"}',
    '2025-11-28 19:30:00+00'
);
INSERT INTO recon_demo_coins.coin_journal_entries (
    transaction_id, wallet_id, direction, amount, memo, created_at
)
VALUES (
    'tip-lost-debit', md5('coins-wallet-' || md5('coins-user-22')::uuid::text)::uuid::text,
    'credit', 250, 'Tip received', '2025-11-28 19:30:00+00'
);
WITH moved AS (
    UPDATE recon_demo_coins.user_wallet AS w
    SET balance = w.balance + d.coins, updated_at = d.at::timestamptz
    FROM (
        VALUES
        (33, 10, '2025-11-27 20:00+00'), (58, 8, '2025-11-27 20:00+00'),
        (91, 3, '2025-11-27 20:00+00'), (21, -250, '2025-11-28 19:30+00'),
        (22, 250, '2025-11-28 19:30+00')
    ) AS d (i, coins, at)
    WHERE w.user_id = md5('coins-user-' || d.i)::uuid::text
    RETURNING w.user_id, d.coins
)

UPDATE recon_demo_coins.users AS u
SET total_coins = u.total_coins + moved.coins
FROM moved
WHERE u.id = moved.user_id;
