-- One transfer, for pgbench (bench/guards.py runs it; -M prepared). Variables (-D):
--   pool   wallets 1..pool take part;
--   fixed  0: two distinct random wallets of the pool; else wallet :fixed (outside the pool,
--          e.g. the hot wallet) against one random wallet of the pool.
-- Both wallets are locked in key order (no deadlocks), each UPDATE returns the balance after,
-- and two ledger entries (one INSERT each) share a transfer id: what the drift and
-- double_entry guards check at commit.
\set a random(1, :pool)
\set b 1 + (:a + random(0, :pool - 2)) % :pool
\if :fixed > 0
\set a :fixed
\endif
\set lo least(:a, :b)
\set hi greatest(:a, :b)
\set cents random(1, 10000) * (2 * random(0, 1) - 1)
BEGIN;
UPDATE wallet_account SET balance = balance + :cents * 0.01, updated_at = now()
WHERE id = :lo RETURNING balance AS lo_after \gset
UPDATE wallet_account SET balance = balance - :cents * 0.01, updated_at = now()
WHERE id = :hi RETURNING balance AS hi_after \gset
INSERT INTO wallet_transaction (wallet_id, type, amount, balance_after, reference, posted_at,
                                transfer_id)
VALUES (:lo, CASE WHEN :cents > 0 THEN 'CREDIT' ELSE 'DEBIT' END, :cents * 0.01, :lo_after,
        'transfer', now(), nextval('transfer_seq'));
INSERT INTO wallet_transaction (wallet_id, type, amount, balance_after, reference, posted_at,
                                transfer_id)
VALUES (:hi, CASE WHEN :cents > 0 THEN 'DEBIT' ELSE 'CREDIT' END, :cents * -0.01, :hi_after,
        'transfer', now(), currval('transfer_seq'));
END;
