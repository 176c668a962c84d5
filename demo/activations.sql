-- wallet-recon demo, application 3 of 4: seed 002, "Wallet-Activation Synchronization". A
-- creator-marketing platform in naira (NGN), the shapes of tests/fixtures/seed002.sql:
-- workspace_wallets (balance, and locked_balance holding the budgets of published
-- activations), activations, activation_participants (creators paid from the locked budget)
-- and wallet_transactions. At demo scale, set-based and deterministic (md5-derived): 3,000
-- workspaces, 9,400 activations, 16,000 paid creators, 43,000 transactions. Positive amounts;
-- the type says what moves:
--   topup       balance += amount                            Paystack top-up
--   lock        balance -= amount, locked_balance += amount  activation published
--   payment     locked_balance -= amount                     release_sm_panel_payment
--   release     locked_balance -= amount, balance += amount  closed: the unused budget
--   withdrawal  balance -= amount                            payout to the bank
--   refund      locked_balance += amount                     a creator payment handed back
-- (refund is not in the fixture: without it nothing undoes a payment posted twice.) Open
-- activations are live and paused, so locked_balance = sum(total_budget - spent_amount) over
-- them. Then: registration through the public API, and the document's failure modes.
-- demo/drop.sql removes it all. (noqa: RF04 marks the seed's column names that are keywords.)
-- No JIT for these one-off generators (it costs more than it saves); transaction-local.
SELECT set_config('jit', 'off', TRUE);
CREATE SCHEMA recon_demo_activations;
COMMENT ON SCHEMA recon_demo_activations IS
'created by wallet-recon demo: seed 002 (wallet-activation synchronization), NGN workspace '
'wallets. Remove with demo/drop.sql.';

SET search_path = recon_demo_activations;
-- @include schema/seed002.sql
RESET search_path;
-- the demo's ledger also knows a refund (the writer's reversal of a payment)
ALTER TABLE recon_demo_activations.wallet_transactions
DROP CONSTRAINT wallet_transactions_type_check,
ADD CONSTRAINT wallet_transactions_type_check
CHECK (type IN ('topup', 'lock', 'payment', 'release', 'withdrawal', 'refund'));

-- 3,000 workspaces: 1-2700 with top-ups and 1-6 activations each (in every status, creators
-- paid), 2701-2850 with top-ups only, 2851-2900 with one draft and no money, 2901-3000 empty.
-- Every tenth workspace withdrew some money.
INSERT INTO recon_demo_activations.workspace_wallets (
    workspace_id, workspace_name, created_at, updated_at
)
SELECT
    md5('activations-ws-' || i)::uuid AS workspace_id,
    'Workspace ' || i AS workspace_name,
    timestamptz '2026-01-01 08:00:00+01' + make_interval(secs => 10 * i) AS created_at,
    timestamptz '2026-01-01 08:00:00+01' + make_interval(secs => 10 * i) AS updated_at
FROM generate_series(1, 3000) AS i;

-- Activations: budgets of NGN 5,000.00-15,000.50.
INSERT INTO recon_demo_activations.activations (
    status, created_at, id, workspace_id, type, title, total_budget, published_at, closed_at
)
SELECT
    a.status,
    a.created_at,
    md5('activations-act-' || a.ik)::uuid AS id,
    md5('activations-ws-' || a.i)::uuid AS workspace_id,
    CASE WHEN a.k % 2 = 1 THEN 'sm_panel' ELSE 'ugc' END AS activation_type,
    'Campaign ' || a.ik AS title,
    5000 + 250 * (a.h % 41) + 0.5 * (a.i % 3) AS total_budget,
    CASE WHEN a.status <> 'draft' THEN a.created_at + interval '2 days' END AS published_at,
    CASE WHEN a.status IN ('completed', 'cancelled') THEN a.created_at + interval '22 days' END
        AS closed_at
FROM (
    SELECT
        w.i,
        k.k,
        w.i || '-' || k.k AS ik,
        CASE
            WHEN w.i > 2700 THEN 'draft'
            ELSE (ARRAY['live', 'completed', 'paused', 'cancelled', 'live', 'draft', 'completed'])[
                1 + (w.i + 2 * k.k) % 7
            ]
        END AS status,
        ('x' || substr(md5('activations-act-' || w.i || '-' || k.k), 1, 7))::bit(28)::integer
            AS h,
        timestamptz '2026-01-05 09:00:00+01'
        + make_interval(days => 3 * k.k, mins => w.i % 600) AS created_at
    FROM generate_series(1, 2900) AS w (i)
    CROSS JOIN LATERAL generate_series(
        1, CASE
            WHEN w.i > 2850 THEN 1 WHEN w.i > 2700 THEN 0
            ELSE 1 + ('x' || substr(md5('activations-' || w.i), 1, 7))::bit(28)::integer % 6
        END
    ) AS k (k)
) AS a;

-- Creators: 0-4 per published activation, NGN 600-1,094 each, paid once from the locked
-- budget (never more than the smallest budget in total).
WITH p AS (
    SELECT
        a.id AS activation_id,
        a.published_at,
        a.title || '-' || n.n AS name
    FROM (
        SELECT
            id,
            published_at,
            title,
            ('x' || substr(md5(title), 1, 7))::bit(28)::integer % 5 AS creators
        FROM recon_demo_activations.activations
        WHERE status <> 'draft'
    ) AS a
    CROSS JOIN LATERAL generate_series(1, a.creators) AS n (n)
)

INSERT INTO recon_demo_activations.activation_participants (
    activation_id, id, creator_id, payout_amount, status, joined_at, paid_at
)
SELECT
    p.activation_id,
    md5('activations-part-' || p.name)::uuid AS id,
    md5('activations-creator-' || h.h % 800)::uuid AS creator_id,
    600 + 10 * (h.h % 50) + h.h % 5 AS payout_amount,
    'paid' AS status,
    p.published_at + make_interval(hours => h.h % 48) AS joined_at,
    p.published_at + make_interval(hours => h.h % 48, mins => 30) AS paid_at
FROM p
CROSS JOIN LATERAL (VALUES (('x' || substr(md5(p.name), 1, 7))::bit(28)::integer)) AS h (h);

UPDATE recon_demo_activations.activations AS a
SET spent_amount = p.spent
FROM (
    SELECT
        activation_id,
        sum(payout_amount) AS spent
    FROM recon_demo_activations.activation_participants
    GROUP BY activation_id
) AS p
WHERE a.id = p.activation_id;

-- The ledger: top-ups (two, plus one per activation, NGN 20,000.00-34,900.75 each), the lock
-- of every published budget, every creator payment, the release of what a closed activation
-- did not spend, and the withdrawals.
INSERT INTO recon_demo_activations.wallet_transactions (
    id, workspace_id, type, amount, reference_type, reference_id, description, created_at
)
SELECT
    md5('activations-txn-' || x.kind || '-' || x.ref_id)::uuid AS id,
    x.workspace_id,
    x.kind,
    x.amount,
    x.ref_type,
    x.ref_id,
    x.description,
    x.posted
FROM (
    SELECT
        md5('activations-ws-' || w.i)::uuid AS workspace_id,
        'topup' AS kind,
        'paystack' AS ref_type,
        'Wallet top-up' AS description,
        'PSK-' || lpad(w.i::text, 4, '0') || '-' || j.j AS ref_id,
        20000 + 0.25 * (w.i % 4) + 100 * (
            ('x' || substr(md5('activations-topup-' || w.i || '-' || j.j), 1, 7))::bit(28)::integer
            % 150
        ) AS amount,
        timestamptz '2026-01-01 10:00:00+01'
        + make_interval(days => 2 * j.j, mins => w.i % 600) AS posted
    FROM (
        SELECT
            i,
            CASE
                WHEN i > 2700 THEN 2
                ELSE 3 + ('x' || substr(md5('activations-' || i), 1, 7))::bit(28)::integer % 6
            END AS topups
        FROM generate_series(1, 2850) AS i
    ) AS w
    CROSS JOIN LATERAL generate_series(1, w.topups) AS j (j)
    UNION ALL
    SELECT
        a.workspace_id,
        x.kind,
        'activation' AS ref_type,
        x.label || a.title AS description,
        a.id::text AS ref_id,
        CASE WHEN x.kind = 'lock' THEN a.total_budget ELSE a.total_budget - a.spent_amount END
            AS amount,
        CASE WHEN x.kind = 'lock' THEN a.published_at ELSE a.closed_at END AS posted
    FROM recon_demo_activations.activations AS a
    CROSS JOIN (VALUES ('lock', 'Budget locked: '), ('release', 'Unused budget released: '))
        AS x (kind, label)
    WHERE
        (x.kind = 'lock' AND a.status <> 'draft')
        OR (x.kind = 'release' AND a.closed_at IS NOT NULL AND a.total_budget > a.spent_amount)
    UNION ALL
    SELECT
        a.workspace_id,
        'payment' AS kind,
        'activation_participant' AS ref_type,
        'Creator payment: ' || a.title AS description,
        p.id::text AS ref_id,
        p.payout_amount AS amount,
        p.paid_at AS posted
    FROM recon_demo_activations.activation_participants AS p
    INNER JOIN recon_demo_activations.activations AS a ON p.activation_id = a.id
    UNION ALL
    SELECT
        md5('activations-ws-' || i)::uuid AS workspace_id,
        'withdrawal' AS kind,
        'payout' AS ref_type,
        'Withdrawal to bank' AS description,
        'PO-' || lpad(i::text, 4, '0') AS ref_id,
        5000 + i % 1000 AS amount,
        timestamptz '2026-03-10 12:00:00+01' + make_interval(mins => i) AS posted
    FROM generate_series(10, 2850, 10) AS i
) AS x;

-- Stored balances: what the ledger says.
UPDATE recon_demo_activations.workspace_wallets AS w
SET
    balance = t.balance,
    locked_balance = t.locked_total,
    updated_at = t.last_at
FROM (
    SELECT
        workspace_id,
        max(created_at) AS last_at,
        sum(CASE WHEN type IN ('topup', 'release') THEN amount ELSE 0 END)
        - sum(CASE WHEN type IN ('lock', 'withdrawal') THEN amount ELSE 0 END) AS balance,
        sum(CASE WHEN type IN ('lock', 'refund') THEN amount ELSE 0 END)
        - sum(CASE WHEN type IN ('payment', 'release') THEN amount ELSE 0 END) AS locked_total
    FROM recon_demo_activations.wallet_transactions
    GROUP BY workspace_id
) AS t
WHERE w.workspace_id = t.workspace_id;

ANALYZE recon_demo_activations.workspace_wallets;
ANALYZE recon_demo_activations.activations;
ANALYZE recon_demo_activations.activation_participants;
ANALYZE recon_demo_activations.wallet_transactions;

-- Registration, through the public API only.
SELECT recon.register_wallet_source(
    'activations_wallets', 'recon_demo_activations.workspace_wallets', 'workspace_id',
    ARRAY['balance', 'locked_balance'], '{"currency": "currency"}'
);
SELECT recon.register_ledger_source(
    'activations_ledger', 'activations_wallets', 'recon_demo_activations.wallet_transactions',
    'workspace_id', 'amount',
    '{"operation": "type",
      "effects": {"topup": {"balance": 1}, "lock": {"balance": -1, "locked_balance": 1},
                  "payment": {"locked_balance": -1},
                  "release": {"balance": 1, "locked_balance": -1},
                  "withdrawal": {"balance": -1}, "refund": {"locked_balance": 1}},
      "entry_id": "id", "reference": "reference_id", "posted_at": "created_at"}'
);
-- The document's tolerance: 0.01 NGN is rounding. Its validation view: locked_balance against
-- the open commitments. Its idempotency rule: one payment per participant.
SELECT recon.register_check('activations_balance', 'balance', '{"ledger": "activations_ledger",
    "currency": "NGN", "tolerance": 0.01, "low_limit": 10}');
SELECT recon.register_check('activations_locked', 'derived', '{
    "wallet": "activations_wallets", "column": "locked_balance",
    "table": "recon_demo_activations.activations", "key_column": "workspace_id",
    "value_column": "total_budget", "minus_column": "spent_amount",
    "filter_column": "status", "filter_values": ["live", "paused"],
    "currency": "NGN", "tolerance": 0.01, "low_limit": 10}');
SELECT recon.register_check('activations_duplicate', 'duplicate', '{
    "ledger": "activations_ledger", "currency": "NGN", "low_limit": 10}');

-- Repairs are INSERTs into wallet_transactions: the toolkit fills the registered columns and
-- picks the type that realises each repair (a release, a lock, a topup, a refund).
SELECT recon.register_writer('activations_ledger', '{
    "columns": {"id": "{uuid}", "reference_type": "recon", "description": "{description}"}}');
-- The document's auto_fix_wallet_activation_sync(workspace, threshold) fixes what is under the
-- threshold "only if sufficient balance available" (recon.fix never overdraws); its 10 NGN is
-- raised to 20,000 NGN a workspace here, about one budget. A top-up credited without its
-- transaction: Paystack has the payment, the balance is right, the ledger catches up.
SELECT recon.set_fix_policy(
    'activations_locked', '{"strategy": "move", "wallet_limit": 20000, "run_limit": 200000}'
);
SELECT recon.set_fix_policy(
    'activations_balance', '{"strategy": "adjust", "wallet_limit": 20000, "run_limit": 100000}'
);
SELECT recon.set_fix_policy(
    'activations_duplicate', '{"strategy": "reverse", "wallet_limit": 20000, "run_limit": 100000}'
);

-- The incidents.

-- Seed 002, "Cancellation/Finalization (finalize_sm_panel_activation): refunds unused budget:
-- locked_balance -> balance", and its "over-locked scenario": on 1 March the finalizer marked
-- three live activations completed and never released their unspent budget.
UPDATE recon_demo_activations.activations AS a
SET status = 'completed', closed_at = '2026-03-01 12:00:00+01'
FROM (
    SELECT DISTINCT ON (workspace_id) id
    FROM recon_demo_activations.activations
    WHERE
        status = 'live'
        AND workspace_id IN (
            md5('activations-ws-1367')::uuid, md5('activations-ws-2555')::uuid,
            md5('activations-ws-2561')::uuid
        )
    ORDER BY workspace_id ASC, created_at ASC
) AS x
WHERE a.id = x.id;

-- Seed 002, "Activation Publishing (activation-publish Edge Function): locks budget" and
-- "Partial Failures: Edge Function failures", the "under-locked scenario": two activations went
-- live on 2 March but the Edge Function failed before the lock (both workspaces can cover it).
INSERT INTO recon_demo_activations.activations (
    type, status, created_at, published_at, id, workspace_id, title, total_budget
)
SELECT
    'sm_panel' AS activation_type,
    'live' AS status,
    timestamptz '2026-03-02 09:00:00+01' AS created_at,
    timestamptz '2026-03-02 10:00:00+01' AS published_at,
    md5('activations-act-' || u.i || '-9')::uuid AS id,
    md5('activations-ws-' || u.i)::uuid AS workspace_id,
    'Campaign ' || u.i || '-9' AS title,
    u.budget AS total_budget
FROM (VALUES (777, 12000.00), (2790, 8500.00)) AS u (i, budget);

-- Seed 002, "Partial Failures" on the top-up path ("Creates audit trail via
-- wallet_transactions"): the Paystack webhook for workspace 1912 credited NGN 15,000.00 and
-- failed before writing its topup transaction.
UPDATE recon_demo_activations.workspace_wallets
SET balance = balance + 15000.00, updated_at = '2026-03-03 15:42:00+01'
WHERE workspace_id = md5('activations-ws-1912')::uuid;

-- Seed 002, "Idempotency Enhancement: release_sm_panel_payment ... prevent duplicate payment
-- processing". Before it, the RPC ran twice for a creator of workspace 640: a second payment
-- transaction, and locked_balance debited twice.
WITH p AS (
    SELECT t.*
    FROM recon_demo_activations.wallet_transactions AS t
    INNER JOIN recon_demo_activations.activation_participants AS ap ON t.reference_id = ap.id::text
    INNER JOIN recon_demo_activations.activations AS a ON ap.activation_id = a.id
    WHERE
        t.type = 'payment' AND a.status = 'live'
        AND a.workspace_id = md5('activations-ws-640')::uuid
    ORDER BY t.created_at ASC, t.id ASC
    LIMIT 1
),

dup AS (
    INSERT INTO recon_demo_activations.wallet_transactions (
        workspace_id, type, amount, reference_type, reference_id, description, id, created_at
    )
    SELECT
        p.workspace_id,
        p.type,
        p.amount,
        p.reference_type,
        p.reference_id,
        p.description,
        md5('activations-txn-payment-dup')::uuid AS id,
        p.created_at + interval '2 seconds' AS created_at
    FROM p
    RETURNING workspace_id, amount, created_at
)

UPDATE recon_demo_activations.workspace_wallets AS w
SET locked_balance = w.locked_balance - dup.amount, updated_at = dup.created_at
FROM dup
WHERE w.workspace_id = dup.workspace_id;
