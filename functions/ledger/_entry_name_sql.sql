-- _recon.entry_name_sql(): an expression naming one ledger entry (its id, else its order value).
CREATE OR REPLACE FUNCTION _recon.entry_name_sql(p_ledger _recon.ledger_source, p_alias text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT CASE
        WHEN p_ledger.entry_id_column IS NOT NULL
            THEN format('%I.%I', p_alias, p_ledger.entry_id_column)
        WHEN p_ledger.order_column IS NOT NULL
            THEN format('%I.%I', p_alias, p_ledger.order_column)
        ELSE 'NULL::text'
    END;
$body$;

COMMENT ON FUNCTION _recon.entry_name_sql(_recon.ledger_source, text) IS
'Expression identifying a ledger entry in findings: the entry id column, else the ordering column.';

REVOKE EXECUTE ON FUNCTION _recon.entry_name_sql(_recon.ledger_source, text) FROM PUBLIC;
