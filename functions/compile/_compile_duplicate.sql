-- _recon.compile_duplicate(): the same reference posted twice (seed 000).
CREATE OR REPLACE FUNCTION _recon.compile_duplicate(p_name text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_ref name := _recon.require_column(v_ledger, v_ledger.reference_column, 'reference',
                                        'duplicate');
    v_scope text := COALESCE(p_options ->> 'scope', 'wallet');
    v_kind text := CASE v_ledger.amount_mode
        WHEN 'direction' THEN v_ledger.direction_column
        WHEN 'operation' THEN v_ledger.operation_column END;
    v_group text;
    v_item text;
    v_cols text;
BEGIN
    IF v_scope NOT IN ('wallet', 'global') THEN
        PERFORM _recon.fail('RC106', format('unknown scope %L', v_scope),
                            'A reference is unique per wallet or across the whole ledger.',
                            'Use "wallet" (the default) or "global".');
    END IF;
    -- The same reference under a different direction or operation type (an ON_HOLD and its
    -- DEBIT), or on a signed ledger with the other sign (a payment and its refund), is a pair,
    -- not a duplicate. A signed ledger's item is the reference for positive amounts (as before
    -- signs were told apart, so findings and acknowledgements keep their keys), reference/- for
    -- negative ones, reference/0 for zero.
    v_group := format('l.%I', v_ref)
        || CASE WHEN v_scope = 'wallet' THEN format(', l.%I', v_ledger.wallet_column) ELSE '' END
        || CASE WHEN v_kind IS NOT NULL THEN format(', l.%I', v_kind)
                WHEN v_ledger.amount_mode = 'signed'
                    THEN format(', sign(l.%I)', v_ledger.amount_column)
                ELSE '' END;
    v_item := format('l.%I::text', v_ref)
        || CASE WHEN v_kind IS NOT NULL THEN format(' || ''/'' || l.%I::text', v_kind)
                WHEN v_ledger.amount_mode = 'signed' THEN format(
                    ' || CASE sign(l.%1$I) WHEN 1 THEN '''' WHEN -1 THEN ''/-'' ELSE ''/0'' END',
                    v_ledger.amount_column)
                ELSE '' END;
    -- The balance columns the duplicated entry moved (per kind on a typed ledger).
    v_cols := _recon.leg_columns_sql(v_ledger, 'l');
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       min(l.%2$I::text) AS wallet_key,
       sum(l.%3$I)::numeric AS stored,
       ((array_agg(l.%3$I ORDER BY %4$s))[1])::numeric AS expected,
       (sum(l.%3$I) - (array_agg(l.%3$I ORDER BY %4$s))[1])::numeric AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', %5$s,
           'reference', l.%6$I,
           'columns', %12$s,
           'postings', count(*),
           'wallets', count(DISTINCT l.%2$I),
           'entries', jsonb_agg(%7$s ORDER BY %4$s),
           'posted_at', max(%8$s),
           'cause', 'duplicate_reference'
       )) AS details
FROM %9$s AS l
WHERE l.%6$I IS NOT NULL
  AND %11$s
GROUP BY %10$s
HAVING count(*) > 1$sql$,
        p_name, v_ledger.wallet_column, v_ledger.amount_column,
        _recon.entry_order_sql(v_ledger, 'l'), v_item, v_ref, _recon.entry_name_sql(v_ledger, 'l'),
        _recon.column_sql('l', v_ledger.posted_at_column, 'timestamptz'), _recon.legs_sql(v_raw),
        v_group, _recon.in_effect_sql(v_raw, 'l'), v_cols
    );
END;
$body$;

COMMENT ON FUNCTION _recon.compile_duplicate(text, jsonb) IS
'Compiles a duplicate check: references posted more than once (per wallet, or "global") in '
'the same direction: the same reference under another direction or operation type, or on a '
'signed ledger with the other sign (a payment and its refund), is a pair, not a duplicate. '
'Only entries in effect count (_recon.in_effect_sql: not reversed by the toolkit, nor by a '
'matching REV-<entry id> of the opposite effect on the same wallet). expected is the first '
'posting''s amount; difference is what the extra postings added. docs/CHECKS.md.';

REVOKE EXECUTE ON FUNCTION _recon.compile_duplicate(text, jsonb) FROM PUBLIC;
