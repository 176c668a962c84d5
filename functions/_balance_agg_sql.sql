-- _recon.balance_agg_sql(): per wallet, entries and the sum of effects on each checked column.
CREATE OR REPLACE FUNCTION _recon.balance_agg_sql(p_options jsonb, p_where text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_sums text;
    v_unmapped text := _recon.unmapped_sql(v_ledger, 'l');
BEGIN
    SELECT string_agg(format(', sum(%s) AS s%s', _recon.effect_sql(v_ledger, c, 'l'), i), ''
                      ORDER BY i)
    INTO v_sums
    FROM unnest(_recon.balance_columns(p_options)) WITH ORDINALITY AS u (c, i);
    RETURN format(
        'SELECT l.%1$I AS k, count(*) AS n, count(l.%2$I) AS n_amount, '
        || '%3$s AS n_bad%4$s FROM %5$s AS l WHERE (%6$s) '
        -- A serial plan (docs/PERFORMANCE.md): a parallel-unsafe call, evaluated once as an
        -- InitPlan, keeps the planner from a parallel one. Built in, so that no compiled view
        -- depends on a toolkit function (which uninstall must be able to drop).
        || 'AND (SELECT pg_catalog.current_schemas(FALSE)) IS NOT NULL '
        || 'GROUP BY l.%1$I',
        v_ledger.wallet_column, v_ledger.amount_column,
        -- a signed ledger has nothing to map: no per-entry work for it
        CASE WHEN v_unmapped = 'FALSE' THEN '0::bigint'
             ELSE format('count(*) FILTER (WHERE %s)', v_unmapped) END,
        v_sums, v_ledger.relid::regclass, p_where
    );
END;
$body$;

COMMENT ON FUNCTION _recon.balance_agg_sql(jsonb, text) IS
'SQL aggregating a balance check''s ledger per wallet: k, n (entries), n_amount (non-NULL '
'amounts), n_bad (unmapped entries), s1..sN (sum of effects per checked column), over the '
'entries matching p_where (an SQL condition on alias l).';

REVOKE EXECUTE ON FUNCTION _recon.balance_agg_sql(jsonb, text) FROM PUBLIC;
