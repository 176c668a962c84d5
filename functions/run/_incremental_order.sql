-- _recon.incremental_order(): why a ledger's order_by cannot prove that no entry committed
-- later sorts at or below a bookmark, or NULL.
CREATE OR REPLACE FUNCTION _recon.incremental_order(p_ledger _recon.ledger_source)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_root oid := COALESCE(_recon.base_table(p_ledger.relid), p_ledger.relid);
    v_leaf record;
    v_seq oid;
    v_seqs oid[] := ARRAY[]::oid[];
    v_s pg_sequence;
BEGIN
    -- A view's order_by must be the base table's own column of that name, read by the view.
    IF v_root <> p_ledger.relid AND NOT EXISTS (
        SELECT FROM pg_rewrite AS r
        JOIN pg_depend AS d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
            AND d.refclassid = 'pg_class'::regclass AND d.refobjid = v_root
        JOIN pg_attribute AS a ON a.attrelid = v_root AND a.attnum = d.refobjsubid
        WHERE r.ev_class = p_ledger.relid AND a.attname = p_ledger.order_column) THEN
        RETURN format('order_by: the view %s does not show its base table''s column %I as is: '
                      || 'no way to tell how its values are handed out',
                      p_ledger.relid::regclass, p_ledger.order_column);
    END IF;
    -- Every table that holds rows (each partition or inheritance child on its own: a writer can
    -- insert into one directly) must take the value from one identity sequence, GENERATED
    -- ALWAYS (a writer cannot supply a value without OVERRIDING SYSTEM VALUE), handed out in
    -- increasing order: INCREMENT > 0, NO CYCLE, CACHE 1 (a session's cache hands out low
    -- values long after higher ones were committed).
    FOR v_leaf IN
        WITH RECURSIVE tree AS (
            SELECT v_root AS relid
            UNION
            SELECT i.inhrelid FROM pg_inherits AS i JOIN tree AS t ON i.inhparent = t.relid
        )
        SELECT c.oid, c.relkind, a.attidentity, a.attnum, COALESCE(o.ordered, FALSE) AS ordered
        FROM tree AS t
        JOIN pg_class AS c ON c.oid = t.relid
        LEFT JOIN _recon.incremental_tables(p_ledger.relid) AS o ON o.relid = c.oid
        LEFT JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = p_ledger.order_column
            AND NOT a.attisdropped
        WHERE c.relkind <> 'p' OR c.oid = v_root
        ORDER BY c.oid
    LOOP
        IF v_leaf.relkind = 'p' THEN
            CONTINUE;  -- the partitioned root holds no rows; its partitions are checked
        END IF;
        -- Or a sequence's values (a default such as bigserial's, or BY DEFAULT), where a writer
        -- can supply its own: the trigger recon_ledger_order records an entry inserted at or
        -- below the bound a run published, and the next run is full (migration 0024).
        v_seq := NULL;
        IF v_leaf.attidentity IS DISTINCT FROM 'a' AND v_leaf.ordered THEN
            v_seq := COALESCE(
                pg_get_serial_sequence(v_leaf.oid::regclass::text, p_ledger.order_column)::regclass,
                (SELECT min(d.refobjid)::regclass FROM pg_attrdef AS f
                 JOIN pg_depend AS d ON d.classid = 'pg_attrdef'::regclass AND d.objid = f.oid
                     AND d.refclassid = 'pg_class'::regclass
                 JOIN pg_class AS q ON q.oid = d.refobjid AND q.relkind = 'S'
                 WHERE f.adrelid = v_leaf.oid AND f.adnum = v_leaf.attnum));
        END IF;
        IF v_leaf.attidentity IS DISTINCT FROM 'a' AND v_seq IS NULL THEN
            RETURN format('order_by: %s.%I is not GENERATED ALWAYS AS IDENTITY (%s): a writer '
                          || 'can supply a value below the last run''s bookmark unseen%s',
                          v_leaf.oid::regclass, p_ledger.order_column,
                          CASE WHEN v_leaf.attidentity = 'd' THEN 'it is BY DEFAULT'
                               WHEN EXISTS (SELECT FROM pg_attrdef AS d
                                            WHERE d.adrelid = v_leaf.oid
                                              AND d.adnum = v_leaf.attnum)
                                   THEN 'a column default, such as a sequence''s'
                               ELSE 'its values come from the writer' END,
                          CASE WHEN v_leaf.attidentity = 'd' OR EXISTS (
                                   SELECT FROM pg_attrdef AS d
                                   WHERE d.adrelid = v_leaf.oid AND d.adnum = v_leaf.attnum)
                               THEN CASE WHEN v_leaf.ordered
                                         THEN ' (its default takes no sequence''s values)'
                                         ELSE ' (no trigger recon_ledger_order on it records one)'
                                    END
                               ELSE '' END);
        END IF;
        -- a partition sharing its parent's identity (PostgreSQL 17+) names no sequence itself
        v_seq := COALESCE(v_seq, COALESCE(
            pg_get_serial_sequence(v_leaf.oid::regclass::text, p_ledger.order_column),
            pg_get_serial_sequence(v_root::regclass::text, p_ledger.order_column))::regclass);
        v_seqs := v_seqs || v_seq;
    END LOOP;
    IF cardinality(v_seqs) = 0 THEN
        RETURN 'order_by: no table holds the ledger''s rows';
    END IF;
    IF (SELECT count(DISTINCT x) FROM unnest(v_seqs) AS x) > 1 THEN
        RETURN 'order_by: the ledger''s tables take their values from different sequences: '
               || 'their values interleave out of order';
    END IF;
    SELECT s.* INTO v_s FROM pg_sequence AS s WHERE s.seqrelid = v_seqs[1];
    IF v_s.seqcache > 1 THEN
        RETURN format('order_by: its sequence %s has CACHE %s: a session hands out values from '
                      || 'its cache long after higher ones were committed (CACHE 1 is needed)',
                      v_seqs[1]::regclass, v_s.seqcache);
    END IF;
    IF v_s.seqincrement < 0 OR v_s.seqcycle THEN
        RETURN format('order_by: its sequence %s %s: values are not handed out in increasing '
                      || 'order', v_seqs[1]::regclass,
                      CASE WHEN v_s.seqcycle THEN 'cycles' ELSE 'counts down' END);
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.incremental_order(_recon.ledger_source) IS
'NULL when a ledger''s order_by is handed out in increasing order by construction, else why '
'not: every table holding its rows (each partition or inheritance child) must take the value '
'from one identity sequence GENERATED ALWAYS, INCREMENT > 0, NO CYCLE, CACHE 1. A per-wallet '
'counter, a value the writer supplies (a plain column, a sequence default, BY DEFAULT), a '
'sequence with a cache or several sequences are refused: incremental mode then runs in full '
'and says why (docs/INCREMENTAL.md, "Which order_by proves the bookmark").';

REVOKE EXECUTE ON FUNCTION _recon.incremental_order(_recon.ledger_source) FROM PUBLIC;
