-- _recon.legs(): a ledger source as its legs relation names it (canonical column names).
CREATE OR REPLACE FUNCTION _recon.legs(p_ledger _recon.ledger_source)
RETURNS _recon.ledger_source
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_wallet _recon.wallet_source := _recon.wallet(p_ledger.wallet_source);
    v _recon.ledger_source := p_ledger;
BEGIN
    v.wallet_column := 'wallet';
    v.amount_column := 'amount';
    IF p_ledger.kinds IS NOT NULL THEN
        v.amount_mode := 'operation';
    ELSIF p_ledger.shape <> 'entries' THEN
        v.amount_mode := 'direction';
    END IF;
    v.direction_column := CASE WHEN v.amount_mode = 'direction' THEN 'kind' END;
    v.operation_column := CASE WHEN v.amount_mode = 'operation' THEN 'kind' END;
    v.entry_id_column := CASE WHEN p_ledger.entry_id_column IS NOT NULL THEN 'entry_id' END;
    v.reference_column := CASE WHEN p_ledger.reference_column IS NOT NULL THEN 'reference' END;
    v.posted_at_column := CASE WHEN p_ledger.posted_at_column IS NOT NULL THEN 'posted_at' END;
    v.order_column := CASE WHEN p_ledger.order_column IS NOT NULL THEN 'ord' END;
    v.version_column := CASE WHEN p_ledger.version_column IS NOT NULL THEN 'version' END;
    v.journal_column := CASE WHEN p_ledger.journal_column IS NOT NULL THEN 'journal' END;
    v.status_column := CASE WHEN p_ledger.status_column IS NOT NULL THEN 'status' END;
    v.currency_column := CASE WHEN p_ledger.currency_column IS NOT NULL THEN 'currency' END;
    SELECT jsonb_object_agg(a.key, 'after_' || array_position(v_wallet.balance_columns,
                                                              a.key::name))
    INTO v.after_columns FROM jsonb_each(p_ledger.after_columns) AS a;
    v.balance_after_column := CASE WHEN p_ledger.balance_after_column IS NOT NULL
                                   THEN 'balance_after' END;
    v.shape := 'entries';
    v.leg_columns := NULL;
    v.debit_wallet_column := NULL;
    v.credit_wallet_column := NULL;
    v.filters := NULL;
    v.parents := NULL;
    v.kinds := NULL;
    RETURN v;
END;
$body$;

COMMENT ON FUNCTION _recon.legs(_recon.ledger_source) IS
'The ledger source as its legs relation (_recon.legs_sql) presents it: one-sided, without '
'filters or parents, its columns under their canonical names (wallet, amount, kind, entry_id, '
'reference, posted_at, ord, version, journal, status, currency, after_<i>), a transfer ledger '
'a direction '
'ledger over its sides, effects keyed on several columns an operation ledger over rule labels. '
'The SQL builders (_recon.effect_sql, entry_name_sql, ...) take it with an alias of that '
'relation, so every check compiles from the one shape definition.';

REVOKE EXECUTE ON FUNCTION _recon.legs(_recon.ledger_source) FROM PUBLIC;
