-- recon.advise(): the index each balance check's ledger would be read through, ordered.
CREATE OR REPLACE FUNCTION recon.advise()
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check _recon.check_def;
    v_ledger _recon.ledger_source;
    v_cols text[];
    v_advice jsonb := '[]'::jsonb;
    v_item jsonb;
    v_tuples numeric;
    v_width numeric;
    v_index_bytes numeric;
    v_heap_bytes numeric;
    v_groups numeric;
    v_plan jsonb;
    v_have text;
BEGIN
    FOR v_check IN
        SELECT c.* FROM _recon.check_def AS c WHERE c.kind = 'balance' ORDER BY c.name
    LOOP
        v_ledger := _recon.ledger((_recon.check_ledgers(v_check.options))[1]);
        v_item := jsonb_build_object('check', v_check.name, 'ledger', v_ledger.name,
                                     'table', v_ledger.relid::regclass::text);
        -- The balance check reads, per entry, the wallet key, the amount, and the columns that
        -- pick the effect and filter it: an index on the wallet key with those included lets
        -- it read the index alone, in wallet order (an ordered GroupAggregate, a merge join).
        IF v_ledger.shape <> 'entries' OR v_ledger.parents IS NOT NULL
           OR v_ledger.kinds IS NOT NULL
           OR jsonb_typeof(v_check.options -> 'ledger') = 'array'
           OR (SELECT c.relkind FROM pg_class AS c WHERE c.oid = v_ledger.relid) <> 'r' THEN
            v_advice := v_advice || (v_item || jsonb_build_object(
                'advice', 'none: the check reads several legs, ledgers or tables per entry '
                          || '(a transfer row, parent rows, rules, a view or a partitioned '
                          || 'table); no single index covers it'));
            CONTINUE;
        END IF;
        SELECT array_agg(DISTINCT x::text ORDER BY x::text) INTO v_cols
        FROM (SELECT v_ledger.amount_column AS x
              UNION ALL SELECT v_ledger.direction_column
              UNION ALL SELECT v_ledger.operation_column
              UNION ALL SELECT f ->> 'column' FROM jsonb_array_elements(
                  COALESCE(v_ledger.filters, '[]')) AS f) AS u
        WHERE x IS NOT NULL AND x <> v_ledger.wallet_column;
        -- an index there already: its name
        SELECT min(i.indexrelid::regclass::text) INTO v_have
        FROM pg_index AS i
        JOIN pg_class AS r ON r.oid = i.indexrelid
        JOIN pg_am AS m ON m.oid = r.relam AND m.amname = 'btree'
        WHERE i.indrelid = v_ledger.relid AND i.indpred IS NULL AND i.indexprs IS NULL
          AND i.indkey[0] = (SELECT a.attnum FROM pg_attribute AS a
                             WHERE a.attrelid = v_ledger.relid
                               AND a.attname = v_ledger.wallet_column)
          AND NOT EXISTS (SELECT FROM unnest(v_cols) AS c
                          WHERE NOT EXISTS (SELECT FROM pg_attribute AS a
                                            WHERE a.attrelid = v_ledger.relid
                                              AND a.attname = c
                                              AND a.attnum = ANY (i.indkey::int2[])));
        -- The planner's statistics: rows, average widths, distinct wallets. Estimates only.
        SELECT c.reltuples::numeric, pg_relation_size(c.oid)::numeric INTO v_tuples, v_heap_bytes
        FROM pg_class AS c WHERE c.oid = v_ledger.relid;
        SELECT sum(COALESCE(s.avg_width, 8))::numeric, max(s.n_distinct::numeric) FILTER (
                   WHERE a.attname = v_ledger.wallet_column)
        INTO v_width, v_groups
        FROM pg_attribute AS a
        LEFT JOIN pg_stats AS s ON s.schemaname = (SELECT n.nspname FROM pg_class AS c
                                                   JOIN pg_namespace AS n
                                                       ON n.oid = c.relnamespace
                                                   WHERE c.oid = v_ledger.relid)
            AND s.tablename = (SELECT c.relname FROM pg_class AS c WHERE c.oid = v_ledger.relid)
            AND s.attname = a.attname
        WHERE a.attrelid = v_ledger.relid
          AND a.attname = ANY (v_cols || v_ledger.wallet_column::text);
        v_tuples := GREATEST(v_tuples, 0);
        -- a leaf tuple: 8 bytes of header and 4 of line pointer, the columns, aligned to 8;
        -- leaves 90 % full
        v_index_bytes := round(v_tuples * (12 + ceil(v_width / 8) * 8) / 0.9);
        v_groups := CASE WHEN v_groups < 0 THEN -v_groups * v_tuples ELSE v_groups END;
        EXECUTE 'EXPLAIN (FORMAT JSON) ' || v_check.compiled_sql INTO v_plan;
        v_advice := v_advice || jsonb_strip_nulls(v_item || jsonb_build_object(
            'advice', CASE WHEN v_have IS NOT NULL
                           THEN format('in place: %s covers the check', v_have)
                           ELSE 'create the index below (the toolkit never creates one itself)'
                      END,
            'statement', CASE WHEN v_have IS NULL THEN format(
                'CREATE INDEX CONCURRENTLY %I ON %s (%I) INCLUDE (%s);',
                left(format('%s_%s_recon', (SELECT c.relname FROM pg_class AS c
                                             WHERE c.oid = v_ledger.relid),
                            v_ledger.wallet_column), 63),
                v_ledger.relid::regclass, v_ledger.wallet_column,
                (SELECT string_agg(quote_ident(c), ', ' ORDER BY c) FROM unnest(v_cols) AS c))
            END,
            'estimates', jsonb_build_object(
                'note', 'estimates from the planner''s statistics (reltuples, pg_stats): run '
                        || 'ANALYZE first; measure before and after',
                'entries', v_tuples,
                'wallets', round(v_groups),
                'table_bytes', v_heap_bytes,
                'index_bytes', v_index_bytes,
                'read_ratio', CASE WHEN v_index_bytes > 0
                                   THEN round(v_heap_bytes / v_index_bytes, 1) END,
                'plan_cost_now', v_plan -> 0 -> 'Plan' -> 'Total Cost',
                'gain', 'the check reads the index alone, in wallet order, instead of the '
                        || 'table: an estimated read_ratio x fewer bytes, and a GroupAggregate '
                        || 'without a hash table of all the wallets')));
    END LOOP;
    RETURN v_advice;
END;
$body$;

COMMENT ON FUNCTION recon.advise() IS
'Advice per balance check: the index on its ledger''s wallet key INCLUDE (amount and the '
'columns its effects and filters read) that lets the check read the index alone in wallet '
'order, as a CREATE INDEX CONCURRENTLY statement (or the index already in place), with '
'estimates of its size and of the gain from the planner''s statistics, labelled as estimates. '
'The toolkit never creates indexes on your tables itself. Shapes no single index covers '
'(transfer rows, parents, rules, views, partitioned tables, several ledgers) get "none". '
'Needs the toolkit owner.';

REVOKE EXECUTE ON FUNCTION recon.advise() FROM PUBLIC;
