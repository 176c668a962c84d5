-- _recon.compile_chain(): running-balance breaks and version gaps (seeds 000, 001).
CREATE OR REPLACE FUNCTION _recon.compile_chain(p_name text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    -- per entry, its currency's tolerance (the entry's currency option, else the check's)
    v_tol text := _recon.currency_amount_sql(
        _recon.currency_amounts('tolerance', p_options -> 'tolerance', p_options ->> 'currency',
                                NULL, 'RC106'),
        p_options ->> 'currency', CASE WHEN v_raw.currency_column IS NOT NULL
                                            AND v_wallet.currency_column IS NULL
                                       THEN 'l.currency::text' END, 0);
    v_column text;
    v_after text := 'NULL::numeric';
    v_version text := 'NULL::bigint';
    v_pairs text[][];
    v_parts text[] := ARRAY[]::text[];
BEGIN
    IF v_ledger.order_column IS NULL AND v_ledger.posted_at_column IS NULL THEN
        PERFORM _recon.require_column(v_ledger, NULL, 'order_by', 'chain');
    END IF;
    IF v_ledger.balance_after_column IS NULL AND v_ledger.after_columns IS NULL
        AND v_ledger.version_column IS NULL THEN
        PERFORM _recon.require_column(v_ledger, NULL, 'balance_after', 'chain');
    END IF;
    -- The running balances checked: one per balance column when registered as a map (each
    -- chain on its own), else the one running balance, following the check's "column".
    IF v_ledger.after_columns IS NOT NULL THEN
        IF p_options ? 'column' AND NOT v_ledger.after_columns ? (p_options ->> 'column') THEN
            PERFORM _recon.fail('RC102', format('ledger %s has no running balance of column %L',
                                                v_ledger.name, p_options ->> 'column'),
                                format('Running balances: %s.', v_raw.after_columns),
                                'Set "column" to one of them, or leave it out for all.');
        END IF;
        SELECT array_agg(ARRAY[a.key, format('l.%I::numeric', a.value)] ORDER BY a.key)
        INTO v_pairs FROM jsonb_each_text(v_ledger.after_columns) AS a
        WHERE NOT p_options ? 'column' OR a.key = p_options ->> 'column';
    ELSE
        v_column := COALESCE(p_options ->> 'column', (
            SELECT c FROM unnest(v_wallet.balance_columns) AS c WHERE v_ledger.effects ? c LIMIT 1
        ));
        IF NOT v_ledger.effects ? v_column THEN
            PERFORM _recon.fail('RC102', format('ledger %s does not move column %L', v_ledger.name,
                                                v_column),
                                'The running balance follows one balance column.',
                                'Set "column" to a column the ledger moves.');
        END IF;
        IF v_ledger.balance_after_column IS NOT NULL THEN
            v_after := format('l.%I::numeric', v_ledger.balance_after_column);
        END IF;
        v_pairs := ARRAY[ARRAY[v_column, CASE WHEN v_ledger.balance_after_column IS NOT NULL
                                              THEN v_after END]];
    END IF;
    IF v_ledger.version_column IS NOT NULL THEN
        v_version := format('l.%I::bigint', v_ledger.version_column);
    END IF;
    -- x: each entry with the previous running balance; y: its difference and the previous
    -- entry's. An entry whose difference exactly cancels the previous one is the far side of a
    -- single mis-recorded running balance, not a second break: the break is reported once.
    FOR v_i IN 1 .. array_length(v_pairs, 1) LOOP
        v_parts := v_parts || format(
        $sql$SELECT %1$L::text AS check_name,
       y.k::text AS wallet_key,
       y.after AS stored,
       (y.prev + y.eff)::numeric AS expected,
       y.diff AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', y.entry::text%12$s,
           'column', %13$L,
           'entry', y.entry,
           'position', y.pos,
           'posted_at', y.posted_at,
           'previous_balance', y.prev,
           'amount', y.eff,
           'version', y.ver,
           'previous_version', y.prev_ver,
           'cause', CASE
               WHEN NOT y.broken THEN 'version_gap'
               WHEN y.after IS NULL OR y.after IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_balance'
               WHEN y.eff IS NULL OR y.eff IN ('NaN', 'Infinity', '-Infinity')
                   THEN 'invalid_amount'
               ELSE 'chain_break'
           END
       )) AS details
FROM (
    SELECT x.*,
           x.has_after AND (x.after IS NULL OR x.eff IS NULL OR abs(x.diff) > x.tol
                            OR x.after IN ('NaN', 'Infinity', '-Infinity')) AS broken,
           lag(x.diff) OVER w AS prev_diff
    FROM (
        SELECT l.%3$I AS k,
               %4$s AS entry,
               %5$s AS posted_at,
               (%6$s)::numeric AS eff,
               %7$s AS after,
               %8$s AS has_after,
               COALESCE(lag(%7$s) OVER w, 0) AS prev,
               (%7$s - (COALESCE(lag(%7$s) OVER w, 0) + (%6$s)))::numeric AS diff,
               row_number() OVER w AS pos,
               %9$s AS ver,
               lag(%9$s) OVER w AS prev_ver,
               %2$s AS tol
        FROM %10$s AS l
        WINDOW w AS (PARTITION BY l.%3$I ORDER BY %11$s)
    ) AS x
    WINDOW w AS (PARTITION BY x.k ORDER BY x.pos)
) AS y
WHERE (y.broken AND NOT COALESCE(abs(y.prev_diff) > y.tol
                                  AND abs(y.diff + y.prev_diff) <= y.tol, FALSE))
   OR y.ver IS DISTINCT FROM COALESCE(y.prev_ver + 1, y.ver)$sql$,
        p_name, v_tol, v_ledger.wallet_column, _recon.entry_name_sql(v_ledger, 'l'),
        _recon.column_sql('l', v_ledger.posted_at_column, 'timestamptz'),
        _recon.effect_sql(v_ledger, v_pairs[v_i][1], 'l'),
        COALESCE(v_pairs[v_i][2], 'NULL::numeric'),
        CASE WHEN v_pairs[v_i][2] IS NULL THEN 'FALSE' ELSE 'TRUE' END,
        -- version gaps are the entry's, not a column's: reported once, with the first chain
        CASE WHEN v_i = 1 THEN v_version ELSE 'NULL::bigint' END,
        _recon.legs_sql(v_raw), _recon.entry_order_sql(v_ledger, 'l'),
        -- several chains: the item names the column, so each break is its own finding
        CASE WHEN v_ledger.after_columns IS NULL THEN ''
             ELSE format(' || %L', '/' || v_pairs[v_i][1]) END,
        v_pairs[v_i][1]
        );
    END LOOP;
    RETURN array_to_string(v_parts, E'\nUNION ALL\n');
END;
$body$;

COMMENT ON FUNCTION _recon.compile_chain(text, jsonb) IS
'Compiles a chain check: per wallet, in entry order, balance_after must equal the previous '
'balance_after plus the entry''s effect (the first entry starts from 0), and a version column '
'must go up by one. Each break is reported at the entry where it happens.';

REVOKE EXECUTE ON FUNCTION _recon.compile_chain(text, jsonb) FROM PUBLIC;
