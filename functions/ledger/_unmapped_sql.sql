-- _recon.unmapped_sql(): SQL that is true for an entry whose direction or type maps to nothing.
CREATE OR REPLACE FUNCTION _recon.unmapped_sql(p_ledger _recon.ledger_source, p_alias text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_kind text := CASE p_ledger.amount_mode
        WHEN 'direction' THEN p_ledger.direction_column ELSE p_ledger.operation_column END;
    v_values text;
BEGIN
    IF p_ledger.amount_mode = 'signed' THEN
        RETURN 'FALSE';
    END IF;
    SELECT string_agg(DISTINCT quote_literal(o.key), ', ') INTO v_values
    FROM jsonb_each(p_ledger.effects) AS c, jsonb_each(c.value) AS o;
    RETURN format('(%1$I.%2$I IS NULL OR %1$I.%2$I::text NOT IN (%3$s))', p_alias, v_kind, v_values);
END;
$body$;

COMMENT ON FUNCTION _recon.unmapped_sql(_recon.ledger_source, text) IS
'An SQL condition true for an entry whose direction or operation type is NULL or not mapped '
'to any effect: such entries are findings, never silently ignored.';

REVOKE EXECUTE ON FUNCTION _recon.unmapped_sql(_recon.ledger_source, text) FROM PUBLIC;
