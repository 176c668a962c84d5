-- _recon.ledger_ref_sql(): SQL for a column reference of a ledger source, in its legs query.
CREATE OR REPLACE FUNCTION _recon.ledger_ref_sql(p_ref text, p_side text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- "side" is the transfer leg ('debit' or 'credit'); "alias.column" a parent row's column
    -- (joined as p_<alias>); any other reference a column of the ledger row (alias r).
    IF p_ref = 'side' AND p_side IS NOT NULL THEN
        RETURN format('%L::text', p_side);
    ELSIF strpos(p_ref, '.') > 0 THEN
        RETURN format('%I.%I', 'p_' || split_part(p_ref, '.', 1),
                      substr(p_ref, strpos(p_ref, '.') + 1));
    END IF;
    RETURN format('r.%I', p_ref);
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_ref_sql(text, text) IS
'SQL for a validated column reference of a ledger source inside its legs query: "column" (the '
'ledger row, alias r), "alias.column" (a registered parent row, alias p_<alias>), or "side" '
'(the transfer leg, given as p_side). Identifiers quoted with %I.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_ref_sql(text, text) FROM PUBLIC;
