-- _recon.fix_move(): move the stored balances by what a plan's applied steps add, set-based.
CREATE OR REPLACE FUNCTION _recon.fix_move(p_stage bigint, p_offset_moves jsonb)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source;
    v_context text;
    v_set text;
    v_sums text;
    v_rows bigint;
    v_total bigint := 0;
BEGIN
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage AND s.status = 'applied')
                   OR p_offset_moves ? w.name
                ORDER BY w.name LOOP
        -- a balance of minor units moves by whole minor units (RC321 otherwise, never rounded)
        SELECT string_agg(format('%1$I = w.%1$I + %2$s', b, _recon.minor_sql(
                   v_ws.balance_scale, format('d.%I', b),
                   CASE WHEN v_ws.balance_scale ? 'column'
                        THEN format('w.%I', v_ws.balance_scale ->> 'column') END,
                   format('column %s of %s', b, v_ws.relid::regclass))), ', '),
               string_agg(format('COALESCE(sum((m.v ->> %1$L)::numeric), 0) AS %1$I', b), ', ')
        INTO v_set, v_sums
        FROM unnest(_recon.writable_balance_columns(v_ws)) AS b;  -- not a GENERATED one
        -- an optimistic-locking version column: every write of the toolkit bumps it
        IF v_ws.version_column IS NOT NULL THEN
            v_set := v_set || format(', %1$I = w.%1$I + 1', v_ws.version_column);
        END IF;
        -- one UPDATE per wallet source, every wallet once, only where something moves
        EXECUTE format($q$
            UPDATE %1$s AS w SET %2$s
            FROM (
                SELECT m.k, %3$s
                FROM (
                    SELECT s.wallet_key AS k, s.moves AS v FROM _recon.fix_stage AS s
                    WHERE s.stage_id = $1 AND s.wallet_source = $2 AND s.status = 'applied'
                      AND s.moves <> '{}'
                    UNION ALL
                    SELECT o.key, o.value FROM jsonb_each($3) AS o
                ) AS m
                GROUP BY m.k
            ) AS d
            WHERE w.%4$I = d.k::%5$s$q$,
            v_ws.relid::regclass, v_set, v_sums, v_ws.key_column,
            _recon.column_type(v_ws.relid, v_ws.key_column))
        USING p_stage, v_ws.name, COALESCE(p_offset_moves -> v_ws.name, '{}');
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        v_total := v_total + v_rows;
    END LOOP;
    RETURN v_total;
EXCEPTION WHEN OTHERS THEN
    -- The UPDATE of your wallet table failed: one of your triggers on it (run during a repair
    -- under the toolkit's search_path, pg_catalog and pg_temp), or a constraint. Said with the
    -- toolkit's code and where it failed; a wallet-recon code, a missing privilege, a lock
    -- timeout, serialization failure, deadlock, cancel, lost connection or internal error goes
    -- through as it is. Nothing is applied either way: the whole fix fails.
    IF SQLSTATE !~ '^(RC|08|25|40|53|54|57|58|XX)' AND SQLSTATE NOT IN ('42501', '55P03', '55006')
        THEN
        GET STACKED DIAGNOSTICS v_context = PG_EXCEPTION_CONTEXT;
        PERFORM _recon.fail(
            'RC313', format('moving the stored balances of %s failed; nothing was applied',
                            v_ws.relid::regclass),
            format('%s: %s (%s)', SQLSTATE, SQLERRM,
                   split_part(v_context, E'\n', 1)),
            format('A trigger on %s runs during a repair under search_path = pg_catalog, '
                   || 'pg_temp: schema-qualify the names its function uses, or give the '
                   || 'function its own path (ALTER FUNCTION ... SET search_path = ...). A '
                   || 'constraint: the DETAIL names it.', v_ws.relid::regclass));
    END IF;
    RAISE;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_move(bigint, jsonb) IS
'Adds to each wallet''s stored balances what the applied steps of a plan move (and the offset '
'wallets what their double-entry sides moved): one UPDATE per wallet source, which adds 1 to '
'the wallet source''s version column where it has one. Returns the wallets updated. RC313 '
'when the UPDATE fails (a trigger or constraint of yours; the DETAIL says where).';

REVOKE EXECUTE ON FUNCTION _recon.fix_move(bigint, jsonb) FROM PUBLIC;
