-- _recon.ledger_ref_type(): validate a column reference of a ledger source; its type.
CREATE OR REPLACE FUNCTION _recon.ledger_ref_type(
    p_relid oid, p_parents jsonb, p_ref text, p_role text, p_transfer boolean DEFAULT FALSE
)
RETURNS regtype
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_alias text;
    v_relid oid := p_relid;
    v_column text := p_ref;
BEGIN
    IF p_ref IS NULL OR p_ref = '' THEN
        PERFORM _recon.fail('RC106', format('%s must name a column', p_role),
                            'Got nothing.', 'Give a column of the ledger table, or '
                            || '"<parent>.<column>" for a registered parent row.');
    END IF;
    IF p_ref = 'side' AND p_transfer THEN
        RETURN 'text'::regtype;
    END IF;
    IF strpos(p_ref, '.') > 0 THEN
        v_alias := split_part(p_ref, '.', 1);
        v_column := substr(p_ref, strpos(p_ref, '.') + 1);
        IF p_parents IS NULL OR NOT p_parents ? v_alias THEN
            PERFORM _recon.fail(
                'RC106', format('%s %L names an unknown parent %L', p_role, p_ref, v_alias),
                format('Registered parents: %s.', COALESCE((
                    SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(p_parents) AS k
                ), 'none')),
                'Declare it under "parents": {"<alias>": {"table": ..., "key": ..., "via": ...}}.'
            );
        END IF;
        v_relid := (p_parents -> v_alias ->> 'relid')::oid;
    END IF;
    PERFORM _recon.resolve_column(v_relid, v_column, p_role);
    RETURN _recon.column_type(v_relid, v_column::name);
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_ref_type(oid, jsonb, text, text, boolean) IS
'Validates a column reference of a ledger source against the catalog: a column of the ledger '
'table, "<alias>.<column>" of a registered parent, or (transfer rows) "side". Returns its base '
'type. RC102 for an unknown column, RC106 for an unknown parent.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_ref_type(oid, jsonb, text, text, boolean) FROM PUBLIC;
