-- _recon.ledger_plain(): whether a ledger source is one-sided, unfiltered, keyed on one column.
CREATE OR REPLACE FUNCTION _recon.ledger_plain(p_ledger _recon.ledger_source)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT CASE
        WHEN p_ledger.shape <> 'entries' THEN format('its rows are %s rows (%s legs each)',
                                                     p_ledger.shape, (
            SELECT count(*) FROM jsonb_object_keys(p_ledger.leg_columns)))
        WHEN p_ledger.filters IS NOT NULL THEN 'it counts only the rows its filters keep'
        WHEN p_ledger.parents IS NOT NULL THEN 'it reads parent rows'
        WHEN p_ledger.kinds IS NOT NULL THEN 'its effects are keyed on several columns'
        WHEN p_ledger.after_columns IS NOT NULL THEN 'it has a running balance per column'
    END;
$body$;

COMMENT ON FUNCTION _recon.ledger_plain(_recon.ledger_source) IS
'NULL for a ledger source of 0.1''s shape (one wallet column, every row counts, effects keyed '
'on one column, at most one running balance); else what makes it another shape. The paths '
'that still read the raw table (the lifecycle guard) accept only the plain shape and refuse '
'the others, saying why, rather than act on rows the checks do not count; the other write '
'paths read the legs and ask _recon.ledger_writable().';

REVOKE EXECUTE ON FUNCTION _recon.ledger_plain(_recon.ledger_source) FROM PUBLIC;
