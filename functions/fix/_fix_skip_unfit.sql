-- _recon.fix_skip_unfit(): skip a wallet whose repairs its columns cannot hold.
CREATE OR REPLACE FUNCTION _recon.fix_skip_unfit(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- A repair your columns cannot hold (a balance or an amount beyond numeric(14,2), a third
    -- decimal, a fraction of an integer) would fail or be rounded: not applied. An amount is
    -- taken as the size of its delta (what a signed or direction ledger posts, and an operation
    -- ledger with multipliers of 1).
    PERFORM _recon.fix_skip_planned(
        p_stage, array_agg(o.wallet_source), array_agg(o.wallet_key), array_agg(o.note)
    )
    FROM (
        SELECT DISTINCT ON (x.wallet_source, x.wallet_key) x.wallet_source, x.wallet_key,
               x.note
        FROM (
            SELECT b.wallet_source, b.wallet_key, b.first_step AS step,
                   format('would not fit %s (%s): %s -> %s', b.col,
                          _recon.column_type_sql(w.relid, b.col), b.before,
                          b.before + b.moved) AS note
            FROM _recon.fix_wallet_moves(p_stage) AS b
            JOIN _recon.wallet_source AS w ON w.name = b.wallet_source
            WHERE NOT _recon.column_holds(w.relid, b.col, b.before + b.moved)
            UNION ALL
            SELECT y.wallet_source, y.wallet_key, y.step,
                   format('would not fit %s of %s (%s): an entry of %s', l.amount_column,
                          l.relid::regclass, _recon.column_type_sql(l.relid, l.amount_column),
                          abs(d.value::numeric))
            FROM _recon.fix_stage AS y
            JOIN _recon.ledger_source AS l ON l.name = y.ledger_source
            CROSS JOIN LATERAL jsonb_array_elements(y.postings) AS e
            CROSS JOIN LATERAL jsonb_each_text(e.value -> 'deltas') AS d
            WHERE y.stage_id = p_stage AND y.status = 'planned'
              AND NOT _recon.column_holds(l.relid, l.amount_column, abs(d.value::numeric))
        ) AS x
        WHERE x.wallet_key IS NOT NULL
        ORDER BY x.wallet_source, x.wallet_key, x.step
    ) AS o;
    -- a per-row scale, and the offset wallets the postings move
    PERFORM _recon.fix_skip_unfit_more(p_stage);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_unfit(bigint) IS
'Phase 4 of _recon.fix_assess: skips every planned step of a wallet when a stored balance it '
'would leave, or an entry it would post, does not fit its column (numeric(14,2) and 1e12, a '
'third decimal, a fraction of an integer): the first such step by number says which. Then '
'balances at a per-row scale and the offset wallets (_recon.fix_skip_unfit_more).';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_unfit(bigint) FROM PUBLIC;
