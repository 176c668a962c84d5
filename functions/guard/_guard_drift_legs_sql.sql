-- _recon.guard_drift_legs_sql(): what a statement moved through a ledger's legs, per wallet and
-- balance column, added to a drift guard's spill.
CREATE OR REPLACE FUNCTION _recon.guard_drift_legs_sql(
    p_ledger _recon.ledger_source, p_guard integer, p_cols text[], p_new text, p_old text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_legs _recon.ledger_source := _recon.legs(p_ledger);
    v_type oid := _recon.column_type(p_ledger.relid, COALESCE(p_ledger.wallet_column,
                                                              p_ledger.debit_wallet_column));
    v_values text;
BEGIN
    -- Each leg's effect on each balance column the guard watches (numbered as the wallet
    -- trigger numbers them), counted as the checks count it: NaN, which never cancels, for an
    -- amount that is NULL and for an entry no effect maps (a finding of the balance check).
    SELECT string_agg(format('(%s, l.recon_sign * CASE WHEN %s THEN %L::numeric '
                             || 'ELSE COALESCE((%s)::numeric, %L::numeric) END)',
                             c.o, _recon.unmapped_sql(v_legs, 'l'), 'NaN',
                             _recon.effect_sql(v_legs, c.col, 'l'), 'NaN'),
                      ', ' ORDER BY c.o)
    INTO v_values
    FROM unnest(p_cols) WITH ORDINALITY AS c (col, o);
    -- p_new: the legs as the statement left them; p_old: as they were before it (either NULL:
    -- none). Only the wallets whose sum moved are written; the commit-time check adds them to
    -- the stored changes (_recon.guard_drift_verdict).
    RETURN format(
        'INSERT INTO _recon.guard_spill AS s (txid, guard_id, item, col, stored, ledger) '
        || 'SELECT pg_current_xact_id(), %1$s, d.item, d.col, 0, d.amount '
        || 'FROM (SELECT %2$s AS item, c.col, sum(c.amount) AS amount '
        || 'FROM (%3$s) AS l CROSS JOIN LATERAL (VALUES %4$s) AS c (col, amount) '
        || 'WHERE l.wallet IS NOT NULL GROUP BY 1, 2) AS d '
        || 'WHERE d.amount IS DISTINCT FROM 0 '
        || 'ON CONFLICT (txid, guard_id, item, col) DO UPDATE SET ledger = s.ledger + excluded.ledger',
        p_guard, _recon.guard_drift_key_expr_sql(v_type, 'l.wallet'),
        concat_ws(' UNION ALL ',
                  'SELECT 1 AS recon_sign, n.* FROM ' || p_new || ' AS n',
                  'SELECT -1 AS recon_sign, o.* FROM ' || p_old || ' AS o'),
        v_values);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_legs_sql(
    _recon.ledger_source, integer, text[], text, text
) IS
'SQL a drift guard''s statement trigger runs (_recon.tg_drift_<id>_legs): the legs of p_new '
'(the ledger''s legs relation as the statement left them, a _recon.legs_query() subquery) minus '
'those of p_old (as they were), summed per wallet and balance column p_cols[i], added as ledger '
'effects to _recon.guard_spill for the commit-time check. NaN for a NULL amount or an unmapped '
'entry. Used for ledgers whose effects a row alone does not give: keyed on several columns, or '
'reading parent rows.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_legs_sql(
    _recon.ledger_source, integer, text[], text, text
) FROM PUBLIC;
