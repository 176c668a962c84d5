-- _recon.ledger_optional(): a ledger's optional columns, each checked against the catalog.
CREATE OR REPLACE FUNCTION _recon.ledger_optional(
    p_relid oid, p_parents jsonb, p_options jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
AS $body$
DECLARE
    v_optional jsonb := '{}'::jsonb;
    v_key text;
BEGIN
    FOREACH v_key IN ARRAY ARRAY['entry_id', 'reference', 'posted_at', 'order_by', 'balance_after',
                                 'version', 'journal', 'status'] LOOP
        IF p_options ? v_key THEN
            v_optional := v_optional || jsonb_build_object(v_key, _recon.resolve_column(
                p_relid, p_options ->> v_key, replace(v_key, '_', ' '),
                v_key IN ('balance_after', 'version')
            ));
        END IF;
    END LOOP;

    -- The currency of each entry: a column of the ledger or of a parent row, of a text type.
    IF p_options ? 'currency' THEN
        IF _recon.ledger_ref_type(p_relid, p_parents, p_options ->> 'currency', 'the currency')
           NOT IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype,
                   'name'::regtype) THEN
            PERFORM _recon.fail(
                'RC108', format('the currency column %s is not of a text type',
                                p_options ->> 'currency'),
                format('It is %s.', _recon.ledger_ref_type(p_relid, p_parents,
                                                           p_options ->> 'currency',
                                                           'the currency')),
                'Name a column holding currency codes (text, varchar, char).');
        END IF;
        v_optional := v_optional || jsonb_build_object('currency', p_options ->> 'currency');
    END IF;
    RETURN v_optional;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_optional(oid, jsonb, jsonb) IS
'For recon.register_ledger_source: the optional columns its options p_options name ("entry_id", '
'"reference", "posted_at", "order_by", "balance_after" as one column, "version", "journal", '
'"status", and "currency", of a text type, in the ledger or a parent row of p_parents), each '
'checked against the catalog of table p_relid (RC102, RC103, RC108): {option: column}.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_optional(oid, jsonb, jsonb) FROM PUBLIC;
