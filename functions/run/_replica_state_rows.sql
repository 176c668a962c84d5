-- _recon.replica_state_rows(): a balance check's per-wallet state for some wallets, as data.
CREATE OR REPLACE FUNCTION _recon.replica_state_rows(p_check text, p_keys text[])
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_state regclass := _recon.balance_state_table(p_check);
    v_rows jsonb;
BEGIN
    IF v_state IS NULL THEN
        RETURN '[]'::jsonb;
    END IF;
    -- The one read of the state (the check's state table) for a run read on a standby: probed
    -- by its key in the key's own type; the sums as text, so that every numeric (NaN,
    -- Infinity) comes back exactly.
    EXECUTE format(
        'SELECT COALESCE(jsonb_agg(jsonb_build_object(''k'', s.k::text, ''n'', s.n, '
        || '''n_amount'', s.n_amount, ''n_bad'', s.n_bad, ''sums'', s.sums::text, '
        || '''has_wallet'', s.has_wallet) ORDER BY s.k::text), ''[]''::jsonb) '
        || 'FROM %s AS s WHERE s.k = ANY ($1::%s[])',
        v_state, _recon.column_type(v_state, 'k'))
    INTO v_rows USING p_keys;
    RETURN v_rows;
END;
$body$;

COMMENT ON FUNCTION _recon.replica_state_rows(text, text[]) IS
'On the primary: the per-wallet state of balance check p_check (_recon.balance_state_table()) '
'for the wallet keys p_keys (those that have a row), as a jsonb array of {k, n, n_amount, '
'n_bad, sums (numeric[] as text), has_wallet}: what a standby judges an increment from '
'(_recon.replica_increment_rows). The state''s one reader for the standby path; '
'_recon.replica_state_advance its one writer.';

REVOKE EXECUTE ON FUNCTION _recon.replica_state_rows(text, text[]) FROM PUBLIC;
