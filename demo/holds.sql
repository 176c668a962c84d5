-- wallet-recon demo, application 2 of 4: seed 001, the midaz handoff "Balance Discrepancy Bug
-- Fixes" (two-phase transfers). A ledger service in reais (BRL), the shapes of
-- tests/fixtures/seed001.sql: balance (available, on_hold, version), transaction (its status)
-- and operation (each with the balance's running values and version after it, and the status
-- its transaction had when it was written). At demo scale, set-based and deterministic
-- (md5-derived): 2,500 balances (200 never used), 3,400 deposits, 10,000 transfers, 31,000
-- operations. The handoff's state machine (source -> destination):
--   PENDING  + ON_HOLD on the source       available -= a, on_hold += a
--   CANCELED + RELEASE on the source       on_hold -= a, available += a
--   APPROVED + DEBIT on the source         on_hold -= a
--            + CREDIT on the destination   available += a
-- A deposit is one CREDIT. Then: registration through the public API, and the handoff's bugs.
-- demo/drop.sql removes it all. (noqa: RF04 marks the seed's column names that are keywords.)
-- No JIT for these one-off generators (it costs more than it saves); transaction-local.
SELECT set_config('jit', 'off', TRUE);
CREATE SCHEMA recon_demo_holds;
COMMENT ON SCHEMA recon_demo_holds IS
'created by wallet-recon demo: seed 001 (midaz two-phase transfers: holds, releases, debits), '
'BRL balances. Remove with demo/drop.sql.';

SET search_path = recon_demo_holds;
-- @include schema/seed001.sql
RESET search_path;

-- 2,500 balances: 1-2300 active, 2301-2500 opened and never used (no operations, zero: the
-- handoff's Bug #3, "missing is not a mismatch").
INSERT INTO recon_demo_holds.balance (
    id, organization_id, ledger_id, account_id, alias, created_at, updated_at
)
SELECT
    md5('holds-balance-' || i)::uuid AS id,
    md5('holds-org')::uuid AS organization_id,
    md5('holds-ledger')::uuid AS ledger_id,
    md5('holds-account-' || i)::uuid AS account_id,
    '@customer-' || lpad(i::text, 4, '0') AS customer,
    timestamptz '2025-12-31 00:00:00+00' + make_interval(secs => 10 * i) AS created_at,
    timestamptz '2025-12-31 00:00:00+00' + make_interval(secs => 10 * i) AS updated_at
FROM generate_series(1, 2500) AS i;

-- Deposits: R$1,500.00-4,999.99 to every active balance on 1 January, to half of them again on
-- 20 January. Transfers: 10,000, one a minute from 2 January, t from source 1 + 7t mod 2300 to
-- destination 1 + (13t + 5) mod 2300 (never the source), R$3.00-79.99; resolved four minutes
-- later: the last 300 still PENDING, t mod 8 = 3 CANCELED, the rest APPROVED.
INSERT INTO recon_demo_holds.transaction (
    id, description, status, pending, amount, created_at, updated_at
)
SELECT
    md5('holds-deposit-' || w.i || '-' || n.n)::uuid AS id,
    'deposit @customer-' || lpad(w.i::text, 4, '0') AS description,
    'APPROVED' AS status,
    FALSE AS pending,
    round(
        1500 + ('x' || substr(md5('holds-deposit-' || w.i || '-' || n.n), 1, 7))::bit(28)
        ::integer % 350000 / 100.0, 2
    ) AS amount,
    timestamptz '2026-01-01 00:00:00+00'
    + make_interval(days => 19 * (n.n - 1), secs => 10 * w.i) AS created_at,
    timestamptz '2026-01-01 00:00:00+00'
    + make_interval(days => 19 * (n.n - 1), secs => 10 * w.i) AS updated_at
FROM generate_series(1, 2300) AS w (i)
CROSS JOIN LATERAL generate_series(1, 1 + w.i % 2) AS n (n)
UNION ALL
SELECT
    md5('holds-transfer-' || t)::uuid AS id,
    format(
        'transfer @customer-%s -> @customer-%s', lpad((1 + (7 * t) % 2300)::text, 4, '0'),
        lpad((1 + (13 * t + 5) % 2300)::text, 4, '0')
    ) AS description,
    CASE WHEN t > 9700 THEN 'PENDING' WHEN t % 8 = 3 THEN 'CANCELED' ELSE 'APPROVED' END
        AS status,
    TRUE AS pending,
    round(
        3 + ('x' || substr(md5('holds-transfer-' || t), 1, 7))::bit(28)::integer % 7700
        / 100.0, 2
    ) AS amount,
    timestamptz '2026-01-02 00:00:00+00' + make_interval(mins => t) AS created_at,
    timestamptz '2026-01-02 00:00:00+00' + make_interval(mins => t + 4 * (t <= 9700)::integer)
        AS updated_at
FROM generate_series(1, 10000) AS t;

-- Every operation, in time order (seq follows it), with each balance's running available,
-- on_hold and version over the same order; then the stored balances are the last ones.
INSERT INTO recon_demo_holds.operation (
    transaction_id, balance_id, account_alias, type, amount, status, description, created_at, id,
    available_after, on_hold_after, balance_version_after
)
SELECT
    o.tx AS transaction_id,
    b.id AS balance_id,
    o.customer,
    o.op_type,
    o.amount,
    o.status,
    o.description,
    o.posted,
    md5('holds-op-' || o.op_type || '-' || o.tx)::uuid AS id,
    sum(
        o.amount * (o.op_type IN ('RELEASE', 'CREDIT'))::integer
        - o.amount * (o.op_type = 'ON_HOLD')::integer
    ) OVER w AS available_after,
    sum(
        o.amount * (o.op_type = 'ON_HOLD')::integer
        - o.amount * (o.op_type IN ('RELEASE', 'DEBIT'))::integer
    ) OVER w AS on_hold_after,
    row_number() OVER w AS balance_version_after
FROM (
    SELECT
        t.id AS tx,
        x.op_type,
        t.amount,
        x.status,
        x.description,
        x.step,
        split_part(t.description, ' ', x.customer_part) AS customer,
        t.created_at + make_interval(mins => 4 * (x.step > 0)::integer) AS posted
    FROM recon_demo_holds.transaction AS t
    CROSS JOIN (
        VALUES
        ('CREDIT', 'APPROVED', 'deposit', 0, 2, 'deposit'),
        ('ON_HOLD', 'PENDING', 'transfer hold', 0, 2, 'any'),
        ('RELEASE', 'CANCELED', 'transfer canceled', 1, 2, 'CANCELED'),
        ('DEBIT', 'APPROVED', 'transfer approved', 1, 2, 'APPROVED'),
        ('CREDIT', 'APPROVED', 'transfer approved', 2, 4, 'APPROVED')
    ) AS x (op_type, status, description, step, customer_part, happens)
    WHERE
        x.happens = CASE WHEN NOT t.pending THEN 'deposit' ELSE t.status END
        OR (x.happens = 'any' AND t.pending)
) AS o
INNER JOIN recon_demo_holds.balance AS b ON o.customer = b.alias
WINDOW w AS (PARTITION BY b.id ORDER BY o.posted ASC, o.step ASC, o.tx ASC)
ORDER BY o.posted ASC, o.step ASC, b.id ASC, o.tx ASC;

UPDATE recon_demo_holds.balance AS b
SET
    available = o.available_after,
    on_hold = o.on_hold_after,
    version = o.balance_version_after,
    updated_at = o.created_at
FROM (
    SELECT DISTINCT ON (balance_id)
        balance_id,
        available_after,
        on_hold_after,
        balance_version_after,
        created_at
    FROM recon_demo_holds.operation
    ORDER BY balance_id ASC, seq DESC
) AS o
WHERE b.id = o.balance_id;

ANALYZE recon_demo_holds.balance;
ANALYZE recon_demo_holds.transaction;
ANALYZE recon_demo_holds.operation;

-- Registration, through the public API only. The journal (and the reference: one operation
-- per transaction, balance and type) is the transaction; the chain is the running available
-- and the version.
SELECT recon.register_wallet_source(
    'holds_balances', 'recon_demo_holds.balance', 'id', ARRAY['available', 'on_hold'],
    '{"currency": "asset_code", "owner": "account_id"}'
);
SELECT recon.register_ledger_source(
    'holds_operations', 'holds_balances', 'recon_demo_holds.operation', 'balance_id', 'amount',
    '{"operation": "type",
      "effects": {"ON_HOLD": {"available": -1, "on_hold": 1},
                  "RELEASE": {"available": 1, "on_hold": -1},
                  "DEBIT": {"on_hold": -1}, "CREDIT": {"available": 1}},
      "journal": "transaction_id", "reference": "transaction_id", "entry_id": "id",
      "posted_at": "created_at", "order_by": "seq", "balance_after": "available_after",
      "version": "balance_version_after", "status": "status"}'
);
-- The two columns drift for different reasons and are repaired differently, so each has its
-- own check: available loses amounts in a cache refresh or a race (the operations are right:
-- re-sync it), on_hold is moved by a commit whose operation was never written (the balance is
-- right: post the missing operation).
SELECT recon.register_check('holds_available', 'balance', '{"ledger": "holds_operations",
    "columns": ["available"], "currency": "BRL", "low_limit": 10}');
SELECT recon.register_check('holds_on_hold', 'balance', '{"ledger": "holds_operations",
    "columns": ["on_hold"], "currency": "BRL", "low_limit": 10}');
-- A hold is resolved once (RELEASE or DEBIT) when its transaction is no longer PENDING.
SELECT recon.register_check('holds_holds', 'lifecycle', '{"ledger": "holds_operations",
    "hold": "ON_HOLD", "terminal": ["RELEASE", "DEBIT"],
    "status_table": "recon_demo_holds.transaction", "status_key": "id",
    "status_column": "status", "pending": ["PENDING"], "currency": "BRL", "low_limit": 10}');
SELECT recon.register_check('holds_duplicates', 'duplicate', '{"ledger": "holds_operations",
    "currency": "BRL", "low_limit": 10}');
SELECT recon.register_check('holds_chain', 'chain', '{"ledger": "holds_operations",
    "column": "available", "currency": "BRL", "low_limit": 10}');

-- The writer, as tests/fixtures/seed001_writer.sql: a correction is its own APPROVED
-- transaction (a hold's resolution goes into the hold's transaction) with one operation,
-- carrying the running values and the next version (also stored on the balance, for the
-- application's next write); the reference goes into the transaction's description (the
-- reference column is a uuid).
CREATE FUNCTION recon_demo_holds.post_recon_operation(p_request jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_balance recon_demo_holds.balance;
    v_last recon_demo_holds.operation;
    v_tx uuid := gen_random_uuid();
    v_op uuid := gen_random_uuid();
    v_version bigint;
    v_status text := 'APPROVED';
BEGIN
    SELECT * INTO STRICT v_balance FROM recon_demo_holds.balance
    WHERE id = (p_request ->> 'wallet')::uuid;
    SELECT * INTO v_last FROM recon_demo_holds.operation
    WHERE balance_id = v_balance.id ORDER BY seq DESC LIMIT 1;
    v_version := COALESCE(v_last.balance_version_after, 0) + 1;
    IF p_request ->> 'journal' IS NOT NULL THEN
        -- a hold's resolution (the lifecycle repair): into the hold's own transaction
        SELECT t.id, t.status INTO STRICT v_tx, v_status FROM recon_demo_holds.transaction AS t
        WHERE t.id = (p_request ->> 'journal')::uuid;
    ELSE
        INSERT INTO recon_demo_holds.transaction (id, description, status, pending, amount,
                                                  created_at, updated_at)
        VALUES (v_tx, format('%s [%s]', p_request ->> 'description', p_request ->> 'reference'),
                'APPROVED', FALSE, (p_request ->> 'amount')::numeric, now(), now());
    END IF;
    INSERT INTO recon_demo_holds.operation (id, transaction_id, balance_id, account_alias, type,
        amount, available_after, on_hold_after, balance_version_after, status, description,
        created_at)
    VALUES (v_op, v_tx, v_balance.id, v_balance.alias, p_request ->> 'entry_type',
            (p_request ->> 'amount')::numeric,
            COALESCE((p_request ->> 'balance_after')::numeric,
                     COALESCE(v_last.available_after, 0)
                     + COALESCE((p_request -> 'deltas' ->> 'available')::numeric, 0)),
            COALESCE(v_last.on_hold_after, 0)
            + COALESCE((p_request -> 'deltas' ->> 'on_hold')::numeric, 0), v_version, v_status,
            format('recon %s: %s', p_request ->> 'purpose', p_request ->> 'reference'), now());
    UPDATE recon_demo_holds.balance SET version = v_version WHERE id = v_balance.id;
    RETURN jsonb_build_array(v_op);
END;
$$;

SELECT recon.register_writer(
    'holds_operations', '{"function": "recon_demo_holds.post_recon_operation(jsonb)"}'
);
-- Up to R$100 a balance is repaired without a human.
SELECT recon.set_fix_policy(
    'holds_available', '{"strategy": "resync", "wallet_limit": 100, "run_limit": 1000}'
);
SELECT recon.set_fix_policy(
    'holds_on_hold', '{"strategy": "adjust", "wallet_limit": 100, "run_limit": 1000}'
);
-- A hold left open is committed or released (the lifecycle repair) up to R$100 as well.
SELECT recon.set_fix_policy(
    'holds_holds', '{"strategy": "resolve", "wallet_limit": 100, "run_limit": 1000}'
);

-- The incidents, as the application wrote them: its transactions; its operations, each with
-- the running values it computed from the balance it had read before the incident (the
-- columns available, on_hold and version below are offsets from that); and what it finally
-- stored on each balance (offsets again).
--
-- Seed 001, Bug #1, "Missing RELEASE/DEBIT operations when pending transactions are committed"
-- (bug1-*): on 2 March between 10:00 and 11:00 five transfers were held and then approved;
-- each source's on_hold was debited and each destination credited, but no DEBIT operation was
-- written. Five balances whose on_hold is below their operations (HIGH); five holds never
-- resolved within one hour, a systematic pattern (CRITICAL).
-- Seed 001, a retried cancellation (CANCELED + RELEASE twice, retry): a R$8.00 hold on
-- @customer-1444 is canceled and the cancellation retried, so RELEASE is written and applied
-- twice. Balance and operations agree (on_hold is 8.00 too low); only the duplicate reference
-- (LOW) and the hold resolved twice show it.
-- Seed 001, Bug #2, "Balance amounts not applied during cache refresh (silent data loss)"
-- (refresh-*): two deposits were written as operations, and the cache refresh wrote the
-- balance back without their R$7.50 and R$35.00.
-- Seed 001, a lost update, "two writers computed from the same stale balance" (race-*): two
-- deposits to @customer-0960 (R$40.00, R$15.00) read the balance at the same moment; both
-- operations carry version N + 1 and a running value from that read, and the second write won:
-- available is R$40.00 short and the chain breaks at the second operation.
INSERT INTO recon_demo_holds.transaction (
    status, amount, created_at, updated_at, id, pending, description
)
SELECT
    x.status,
    x.amount,
    x.created_at::timestamptz AS created_at,
    x.updated_at::timestamptz AS updated_at,
    md5('holds-' || x.tx)::uuid AS id,
    x.dst IS NOT NULL AS pending,
    CASE
        WHEN x.dst IS NULL THEN 'deposit @customer-' || lpad(x.src::text, 4, '0')
        ELSE format(
            'transfer @customer-%s -> @customer-%s', lpad(x.src::text, 4, '0'),
            lpad(x.dst::text, 4, '0')
        )
    END AS description
FROM (
    VALUES
    ('bug1-1', 211, 98, 'APPROVED', 24.90, '2026-03-02 10:13+00', '2026-03-02 10:51+00'),
    ('bug1-2', 733, 1500, 'APPROVED', 37.50, '2026-03-02 10:21+00', '2026-03-02 10:52+00'),
    ('bug1-3', 1187, 377, 'APPROVED', 52.00, '2026-03-02 10:29+00', '2026-03-02 10:53+00'),
    ('bug1-4', 1650, 2222, 'APPROVED', 19.99, '2026-03-02 10:37+00', '2026-03-02 10:54+00'),
    ('bug1-5', 2044, 1002, 'APPROVED', 61.35, '2026-03-02 10:45+00', '2026-03-02 10:55+00'),
    ('retry', 1444, 31, 'CANCELED', 8.00, '2026-03-03 09:00+00', '2026-03-03 09:04+00'),
    ('refresh-1', 305, NULL, 'APPROVED', 7.50, '2026-03-04 11:00+00', '2026-03-04 11:00+00'),
    ('refresh-2', 1876, NULL, 'APPROVED', 35.00, '2026-03-04 11:20+00', '2026-03-04 11:20+00'),
    ('race-1', 960, NULL, 'APPROVED', 40.00, '2026-03-05 12:00+00', '2026-03-05 12:00+00'),
    ('race-2', 960, NULL, 'APPROVED', 15.00, '2026-03-05 12:00+00', '2026-03-05 12:00+00')
) AS x (tx, src, dst, status, amount, created_at, updated_at);

INSERT INTO recon_demo_holds.operation (
    balance_id, account_alias, type, amount, id, transaction_id, status, description,
    available_after, on_hold_after, balance_version_after, created_at
)
SELECT
    b.id AS balance_id,
    b.alias AS customer,
    x.op_type,
    t.amount,
    md5('holds-op-' || x.n || '-' || x.tx)::uuid AS id,
    md5('holds-' || x.tx)::uuid AS transaction_id,
    CASE WHEN x.op_type = 'ON_HOLD' THEN 'PENDING' ELSE t.status END AS status,
    CASE
        WHEN NOT t.pending THEN 'deposit'
        WHEN x.op_type = 'ON_HOLD' THEN 'transfer hold'
        WHEN x.op_type = 'RELEASE' THEN 'transfer canceled'
        ELSE 'transfer approved'
    END AS description,
    b.available + x.available AS available_after,
    b.on_hold + x.on_hold AS on_hold_after,
    b.version + x.version AS balance_version_after,
    CASE WHEN x.op_type = 'ON_HOLD' THEN t.created_at ELSE t.updated_at END
    + make_interval(mins => x.later) AS created_at
FROM (
    VALUES
    (1, 'bug1-1', 211, 'ON_HOLD', -24.90, 24.90, 1, 0),
    (2, 'bug1-1', 98, 'CREDIT', 24.90, 0, 1, 0),
    (1, 'bug1-2', 733, 'ON_HOLD', -37.50, 37.50, 1, 0),
    (2, 'bug1-2', 1500, 'CREDIT', 37.50, 0, 1, 0),
    (1, 'bug1-3', 1187, 'ON_HOLD', -52.00, 52.00, 1, 0),
    (2, 'bug1-3', 377, 'CREDIT', 52.00, 0, 1, 0),
    (1, 'bug1-4', 1650, 'ON_HOLD', -19.99, 19.99, 1, 0),
    (2, 'bug1-4', 2222, 'CREDIT', 19.99, 0, 1, 0),
    (1, 'bug1-5', 2044, 'ON_HOLD', -61.35, 61.35, 1, 0),
    (2, 'bug1-5', 1002, 'CREDIT', 61.35, 0, 1, 0),
    (1, 'retry', 1444, 'ON_HOLD', -8.00, 8.00, 1, 0),
    (2, 'retry', 1444, 'RELEASE', 0, 0, 2, 0),
    (3, 'retry', 1444, 'RELEASE', 8.00, -8.00, 3, 1),
    (1, 'refresh-1', 305, 'CREDIT', 7.50, 0, 1, 0),
    (1, 'refresh-2', 1876, 'CREDIT', 35.00, 0, 1, 0),
    (1, 'race-1', 960, 'CREDIT', 40.00, 0, 1, 0),
    (1, 'race-2', 960, 'CREDIT', 15.00, 0, 1, 0)
) AS x (n, tx, customer, op_type, available, on_hold, version, later)
INNER JOIN recon_demo_holds.transaction AS t ON md5('holds-' || x.tx)::uuid = t.id
INNER JOIN recon_demo_holds.balance AS b ON '@customer-' || lpad(x.customer::text, 4, '0') = b.alias
ORDER BY created_at ASC, x.tx ASC, x.n ASC;

UPDATE recon_demo_holds.balance AS b
SET
    available = b.available + x.available,
    on_hold = b.on_hold + x.on_hold,
    version = b.version + x.version,
    updated_at = '2026-03-05 12:00:00+00'
FROM (
    VALUES
    -- bug1: sources held (available - a, on_hold + a), then on_hold - a without an operation
    (211, -24.90, 0, 2), (733, -37.50, 0, 2), (1187, -52.00, 0, 2), (1650, -19.99, 0, 2),
    (2044, -61.35, 0, 2),
    -- bug1: destinations credited
    (98, 24.90, 0, 1), (1500, 37.50, 0, 1), (377, 52.00, 0, 1), (2222, 19.99, 0, 1),
    (1002, 61.35, 0, 1),
    -- retry: the hold and both releases applied; refresh: the version moved, the amount did
    -- not; race: the second write (R$15.00, version N + 1) won
    (1444, 8.00, -8.00, 3), (305, 0, 0, 1), (1876, 0, 0, 1), (960, 15.00, 0, 1)
) AS x (customer, available, on_hold, version)
WHERE b.alias = '@customer-' || lpad(x.customer::text, 4, '0');
