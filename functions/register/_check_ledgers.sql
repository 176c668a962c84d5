-- _recon.check_ledgers(): the ledger sources a check reads ("ledger": a name or a list).
CREATE OR REPLACE FUNCTION _recon.check_ledgers(p_options jsonb)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_names text[];
    v_wallets text[];
BEGIN
    IF jsonb_typeof(p_options -> 'ledger') IS DISTINCT FROM 'array' THEN
        RETURN ARRAY[(_recon.ledger(p_options ->> 'ledger')).name];
    END IF;
    IF jsonb_array_length(p_options -> 'ledger') = 0
        OR EXISTS (SELECT FROM jsonb_array_elements(p_options -> 'ledger') AS e
                   WHERE jsonb_typeof(e) <> 'string')
        OR (SELECT count(DISTINCT e) <> count(*)
            FROM jsonb_array_elements(p_options -> 'ledger') AS e) THEN
        PERFORM _recon.fail('RC106', '"ledger" must be a name or a list of distinct names',
                            format('Got %s.', p_options -> 'ledger'),
                            'E.g. "entries", or ["entries", "fees"] for a balance check.');
    END IF;
    v_names := ARRAY(SELECT jsonb_array_elements_text(p_options -> 'ledger'));
    SELECT array_agg(DISTINCT (_recon.ledger(n)).wallet_source) INTO v_wallets
    FROM unnest(v_names) AS n;
    IF cardinality(v_wallets) > 1 THEN
        PERFORM _recon.fail('RC106', 'the ledgers of one check move different wallet sources',
                            format('Wallet sources: %s.', array_to_string(v_wallets, ', ')),
                            'List ledgers of one wallet source, or register one check each.');
    END IF;
    RETURN v_names;
END;
$body$;

COMMENT ON FUNCTION _recon.check_ledgers(jsonb) IS
'The ledger sources a check reads: its "ledger" option, one name or (balance checks) a list of '
'ledgers that move the same wallet source, summed together. RC106 for a bad list, RC107 for an '
'unknown ledger.';

REVOKE EXECUTE ON FUNCTION _recon.check_ledgers(jsonb) FROM PUBLIC;
