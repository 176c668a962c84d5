-- bench/wallet_trigger_cost.sql: what a statement trigger recording written wallet keys would
-- cost the writer (issue 17, incremental in O(change); not built). In a scratch database:
--   psql scratch -f bench/wallet_trigger_cost.sql
-- then, interleaved, five times each, in a new session every time:
--   SET session_replication_role = origin;   -- the trigger fires
--   SET session_replication_role = replica;  -- it does not
--   SELECT bench_upd(20000);  -- seconds for 20,000 one-row UPDATE statements
-- 100,000 wallets; an AFTER UPDATE statement trigger with a transition table inserts the
-- written keys into an unlogged table (docs/PERFORMANCE.md, issue 17, target 3).
DROP TABLE IF EXISTS tw, tw_written;
CREATE TABLE tw (id bigint PRIMARY KEY, balance numeric(14, 2) NOT NULL DEFAULT 0);
INSERT INTO tw (id, balance)
SELECT
    g.i,
    0 AS balance
FROM generate_series(1, 100000) AS g (i);
CREATE UNLOGGED TABLE tw_written (
    k text NOT NULL, xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE FUNCTION tg_tw() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tw_written (k) SELECT n.id::text FROM new_rows AS n;
    RETURN NULL;
END $$;
CREATE TRIGGER tw_written AFTER UPDATE ON tw REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION tg_tw();
VACUUM ANALYZE tw;
CREATE FUNCTION bench_upd(n int) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    FOR i IN 1..n LOOP
        UPDATE tw SET balance = balance + 1 WHERE id = 1 + (i * 7919) % 100000;
    END LOOP;
    RETURN extract(epoch FROM clock_timestamp() - t0);
END $$;
