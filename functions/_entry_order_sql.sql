-- _recon.entry_order_sql(): how a ledger's entries are ordered, and how one is named.
CREATE OR REPLACE FUNCTION _recon.entry_order_sql(p_ledger _recon.ledger_source, p_alias text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT COALESCE(string_agg(format('%I.%I', p_alias, c), ', ' ORDER BY o), 'NULL')
    FROM unnest(ARRAY[p_ledger.order_column, p_ledger.posted_at_column, p_ledger.entry_id_column])
        WITH ORDINALITY AS u (c, o)
    WHERE c IS NOT NULL;
$body$;

COMMENT ON FUNCTION _recon.entry_order_sql(_recon.ledger_source, text) IS
'ORDER BY list for a ledger''s entries: its ordering column, then posting time, then entry id '
'(those registered).';

REVOKE EXECUTE ON FUNCTION _recon.entry_order_sql(_recon.ledger_source, text) FROM PUBLIC;
