-- 0024 incremental mode sees an UPDATE or DELETE of a ledger entry exactly, not through the
-- asynchronous table statistics: a toolkit trigger on the ledger's tables records, in the
-- writing transaction itself, which table was written and by which transaction.

-- Unlogged like _recon.balance_state: a crash empties both (and the state's mark), and the
-- next run is full anyway.
CREATE UNLOGGED TABLE _recon.ledger_write (
    relid oid NOT NULL,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    what text NOT NULL
);
CREATE INDEX ledger_write_relid_xid ON _recon.ledger_write (relid, xid);

COMMENT ON TABLE _recon.ledger_write IS
'An UPDATE or DELETE on a table holding ledger entries: the table and the writing (top-level) '
'transaction, recorded by the trigger recon_ledger_write in that transaction. An incremental '
'run whose ledger has a row here from a transaction at or after its watermark''s '
'snapshot_xmin runs in full (docs/INCREMENTAL.md). Rows older than every watermark are '
'deleted by the runs.';
COMMENT ON COLUMN _recon.ledger_write.relid IS 'The table the statement wrote (a leaf or parent).';
COMMENT ON COLUMN _recon.ledger_write.xid IS 'The writing transaction (top-level).';
COMMENT ON COLUMN _recon.ledger_write.what IS
'UPDATE or DELETE (trigger recon_ledger_write), or INSERT: an entry inserted with an ordering '
'id at or below a published bound (trigger recon_ledger_order).';

-- The trigger function lives with its table (not in the repeatable layer): the rollback drops
-- the triggers on the user's tables first, then the function.
CREATE FUNCTION _recon.tg_ledger_write()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- A statement trigger fires once per statement. A row trigger (a partitioned table's, which
    -- PostgreSQL clones to every partition, now and later) records once per transaction and
    -- table: the row already there is the mark (a setting would be the writer's to forge), and
    -- a rolled-back savepoint takes the row with it.
    IF tg_level = 'STATEMENT' OR NOT EXISTS (
        SELECT FROM _recon.ledger_write AS w
        WHERE w.relid = tg_relid AND w.xid = pg_current_xact_id() AND w.what = tg_op) THEN
        INSERT INTO _recon.ledger_write (relid, what) VALUES (tg_relid, tg_op);
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_ledger_write() IS
'Trigger recon_ledger_write (AFTER UPDATE OR DELETE) on the tables of a ledger registered with '
'"order_by": records the table and the writing transaction in _recon.ledger_write, so that '
'incremental mode sees an old entry updated or deleted exactly (docs/INCREMENTAL.md).';

REVOKE EXECUTE ON FUNCTION _recon.tg_ledger_write() FROM PUBLIC;

CREATE FUNCTION _recon.tg_ledger_order()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_bound numeric;
    v_below boolean;
BEGIN
    -- the highest bound a run has taken for the ledger, published before it waits for the
    -- transactions in flight (a sequence: read at once, whether that run committed or not)
    v_bound := pg_sequence_last_value(tg_argv[1]::regclass);
    IF v_bound IS NULL OR EXISTS (
        SELECT FROM _recon.ledger_write AS w
        WHERE w.relid = tg_relid AND w.xid = pg_current_xact_id() AND w.what = tg_op) THEN
        RETURN NULL;  -- no run yet, or already recorded in this transaction (by the table
    END IF;           -- itself: a transaction-local setting would be the writer's to forge)
    IF tg_level = 'ROW' THEN
        v_below := COALESCE((to_jsonb(NEW) ->> tg_argv[0])::numeric <= v_bound, TRUE);
    ELSE
        EXECUTE format('SELECT bool_or(n.%1$I IS NULL OR n.%1$I <= $1) FROM recon_new_rows AS n',
                       tg_argv[0]) INTO v_below USING v_bound;
    END IF;
    IF v_below THEN
        INSERT INTO _recon.ledger_write (relid, what) VALUES (tg_relid, tg_op);
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_ledger_order() IS
'Trigger recon_ledger_order (AFTER INSERT; arguments: the order_by column, the bound sequence) '
'on the tables of a ledger whose order_by is not an identity GENERATED ALWAYS: an entry '
'inserted with an id at or below the highest bound a run has published is recorded in '
'_recon.ledger_write, and the next incremental run is full (docs/INCREMENTAL.md).';

REVOKE EXECUTE ON FUNCTION _recon.tg_ledger_order() FROM PUBLIC;

-- The ledgers registered before 0024 get their triggers now (_recon.ledger_write_install does
-- it for those registered later).
DO $do$
DECLARE
    v_rel record;
BEGIN
    FOR v_rel IN
        -- every table of each tree; a partition of a partitioned table in the tree gets its
        -- parent's row trigger cloned by PostgreSQL (cloned: FALSE below)
        WITH RECURSIVE tree AS (
            -- a ledger view's one base table (a view over several has no storage to follow)
            SELECT DISTINCT COALESCE(
                (SELECT CASE WHEN count(DISTINCT d.refobjid) = 1 THEN min(d.refobjid) END
                 FROM pg_rewrite AS r
                 JOIN pg_depend AS d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                     AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> l.relid
                 WHERE r.ev_class = l.relid), l.relid) AS relid, FALSE AS cloned
            FROM _recon.ledger_source AS l WHERE l.order_column IS NOT NULL
            UNION
            SELECT i.inhrelid, c.relkind = 'p'
            FROM tree AS t
            JOIN pg_inherits AS i ON i.inhparent = t.relid
            JOIN pg_class AS c ON c.oid = t.relid
        )
        SELECT DISTINCT c.oid, c.relkind
        FROM tree AS t
        JOIN pg_class AS c ON c.oid = t.relid AND c.relkind IN ('r', 'p')
        WHERE NOT t.cloned
    LOOP
        CONTINUE WHEN EXISTS (
            SELECT FROM pg_trigger AS g
            WHERE g.tgrelid = v_rel.oid AND g.tgname = 'recon_ledger_write');
        BEGIN
            EXECUTE format('CREATE TRIGGER recon_ledger_write AFTER UPDATE OR DELETE ON %s '
                           || 'FOR EACH %s EXECUTE FUNCTION _recon.tg_ledger_write()',
                           v_rel.oid::regclass,
                           CASE WHEN v_rel.relkind = 'p' THEN 'ROW' ELSE 'STATEMENT' END);
        EXCEPTION WHEN insufficient_privilege THEN
            -- not the table's owner (nor able to create triggers on it): that ledger runs in
            -- full, and its summary says the table is not tracked (_recon.incremental_tables)
            RAISE NOTICE 'no trigger recon_ledger_write on % (%): its ledger runs in full',
                v_rel.oid::regclass, sqlerrm;
        END;
    END LOOP;
END;
$do$;
