-- _recon.fix_wallet_value(): one stored balance of one wallet.
CREATE OR REPLACE FUNCTION _recon.fix_wallet_value(p_source text, p_key text, p_column text)
RETURNS numeric
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_source);
    v_value numeric;
BEGIN
    -- in major units when the column holds minor units (docs/CHECKS.md "Minor units")
    EXECUTE format('SELECT %s::numeric FROM %s AS w WHERE w.%I = $1::%s',
                   _recon.major_sql(v_ws.balance_scale, format('w.%I', p_column), 'w'),
                   v_ws.relid::regclass, v_ws.key_column,
                   _recon.column_type(v_ws.relid, v_ws.key_column))
    INTO v_value USING p_key;
    RETURN v_value;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_wallet_value(text, text, text) IS
'The stored value of one balance column of one wallet, in major units (NULL if there is no '
'such wallet).';

REVOKE EXECUTE ON FUNCTION _recon.fix_wallet_value(text, text, text) FROM PUBLIC;
