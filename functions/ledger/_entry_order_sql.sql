-- _recon.entry_order_sql(): how a ledger's entries are ordered, and how one is named.
CREATE OR REPLACE FUNCTION _recon.entry_order_sql(
    p_ledger _recon.ledger_source, p_alias text, p_direction text DEFAULT 'ASC'
)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT COALESCE(string_agg(format('%I.%I %s', p_alias, c,
                                      CASE p_direction WHEN 'DESC' THEN 'DESC' ELSE 'ASC' END),
                               ', ' ORDER BY o), 'NULL')
    FROM unnest(ARRAY[p_ledger.order_column, p_ledger.posted_at_column, p_ledger.entry_id_column])
        WITH ORDINALITY AS u (c, o)
    WHERE c IS NOT NULL;
$body$;

COMMENT ON FUNCTION _recon.entry_order_sql(_recon.ledger_source, text, text) IS
'ORDER BY list for a ledger''s entries: its ordering column, then posting time, then entry id '
'(those registered), each ASC or, with p_direction DESC, each DESC.';

REVOKE EXECUTE ON FUNCTION _recon.entry_order_sql(_recon.ledger_source, text, text) FROM PUBLIC;
