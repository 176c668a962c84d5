-- _recon.balance_agg_sql(): per wallet, entries and the sum of effects on each checked column.
CREATE OR REPLACE FUNCTION _recon.balance_agg_sql(p_options jsonb, p_where text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_cols text[] := _recon.balance_columns(p_options);
    v_names text[] := _recon.check_ledgers(p_options);
    v_name text;
    v_raw _recon.ledger_source;
    v_ledger _recon.ledger_source;
    v_sums text;
    v_unmapped text;
    v_folded boolean;
    v_balances name[];
    v_parts text[] := ARRAY[]::text[];
BEGIN
    FOREACH v_name IN ARRAY v_names LOOP
        v_raw := _recon.ledger(v_name);
        v_ledger := _recon.legs(v_raw);
        v_unmapped := _recon.unmapped_sql(v_ledger, 'l');
        -- Legs with sides and no rules carry their signed effects (effect_<i>, _recon.legs_sql):
        -- the kind is a constant per branch, so each branch has done the effect's CASE.
        v_folded := v_raw.shape <> 'entries' AND v_raw.kinds IS NULL;
        v_balances := (_recon.wallet(v_raw.wallet_source)).balance_columns;
        IF v_folded AND NOT EXISTS (
            SELECT FROM _recon.ledger_shape AS s
            CROSS JOIN LATERAL jsonb_array_elements(s.legs) AS g
            WHERE s.shape = v_raw.shape
              AND NOT EXISTS (SELECT FROM jsonb_each(v_raw.effects) AS c
                              WHERE c.value ? (g ->> 'side'))) THEN
            v_unmapped := 'FALSE';  -- every side maps to an effect: no leg can be unmapped
        END IF;
        SELECT string_agg(format(', sum(%s) AS s%s', CASE
            WHEN v_folded AND v_raw.effects ? c AND array_position(v_balances, c::name) IS NOT NULL
                THEN format('l.%I', 'effect_' || array_position(v_balances, c::name))
            ELSE _recon.effect_sql(v_ledger, c, 'l') END, i), '' ORDER BY i)
        INTO v_sums
        FROM unnest(v_cols) WITH ORDINALITY AS u (c, i);
        v_parts := v_parts || format(
            'SELECT l.wallet AS k, count(*) AS n, count(l.amount) AS n_amount, '
            || '%1$s AS n_bad%2$s FROM %3$s AS l WHERE (%4$s) %5$sGROUP BY l.wallet',
            -- a signed ledger, or one whose every side maps, has nothing to map: no per-leg
            -- work for it
            CASE WHEN v_unmapped = 'FALSE' THEN '0::bigint'
                 ELSE format('count(*) FILTER (WHERE %s)', v_unmapped) END,
            v_sums, _recon.legs_sql(v_raw), p_where,
            -- A serial plan for one-sided ledgers (docs/PERFORMANCE.md): a parallel-unsafe
            -- call, evaluated once as an InitPlan, keeps the planner from a parallel one, which
            -- lost at ~10 entries per wallet. Built in, so that no compiled view depends on a
            -- toolkit function (which uninstall must be able to drop). Legs of several sides
            -- (a UNION ALL) are left to the planner: its parallel plan, partial hash aggregates
            -- merged sorted, is what a hand-written query over both legs gets, and won there.
            CASE WHEN v_raw.shape = 'entries'
                 THEN 'AND (SELECT pg_catalog.current_schemas(FALSE)) IS NOT NULL ' ELSE '' END
        );
    END LOOP;
    IF cardinality(v_parts) = 1 THEN
        RETURN v_parts[1];
    END IF;
    -- Several ledgers feed the wallets: each aggregated on its own, then added per wallet.
    RETURN format(
        'SELECT u.k, sum(u.n)::bigint AS n, sum(u.n_amount)::bigint AS n_amount, '
        || 'sum(u.n_bad)::bigint AS n_bad%s FROM (%s) AS u GROUP BY u.k',
        (SELECT string_agg(format(', sum(u.s%1$s) AS s%1$s', i), '' ORDER BY i)
         FROM generate_series(1, cardinality(v_cols)) AS i),
        array_to_string(v_parts, ' UNION ALL ')
    );
END;
$body$;

COMMENT ON FUNCTION _recon.balance_agg_sql(jsonb, text) IS
'SQL aggregating a balance check''s ledgers per wallet: k, n (legs), n_amount (non-NULL '
'amounts), n_bad (unmapped legs), s1..sN (sum of effects per checked column), over the legs '
'(_recon.legs_sql) matching p_where (an SQL condition on alias l, in the legs'' canonical '
'column names). Several ledgers are aggregated each on its own, then added per wallet. A '
'one-sided ledger is aggregated serially (a parallel-unsafe InitPlan); legs with sides and no '
'rules are summed from their folded effects (effect_<i>), with no unmapped count when every '
'side maps, and planned freely (docs/PERFORMANCE.md "Ledger shapes").';

REVOKE EXECUTE ON FUNCTION _recon.balance_agg_sql(jsonb, text) FROM PUBLIC;
