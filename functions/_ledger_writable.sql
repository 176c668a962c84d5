-- _recon.ledger_writable(): whether the write paths (guards, writers, repairs) read a ledger
-- source's shape.
CREATE OR REPLACE FUNCTION _recon.ledger_writable(p_ledger _recon.ledger_source)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- the write paths know two row shapes: one leg (entries) and transfer rows (debit and
    -- credit wallet columns); a shape of another kind is refused until they read its legs
    SELECT CASE
        WHEN p_ledger.shape NOT IN ('entries', 'transfer')
            THEN format('its rows are %s rows', p_ledger.shape)
        WHEN p_ledger.parents IS NOT NULL THEN 'it reads parent rows'
        WHEN p_ledger.kinds IS NOT NULL THEN 'its effects are keyed on several columns'
        WHEN p_ledger.after_columns IS NOT NULL THEN 'it has a running balance per column'
    END;
$body$;

COMMENT ON FUNCTION _recon.ledger_writable(_recon.ledger_source) IS
'NULL for a ledger source whose shape the write paths read (the drift and double-entry guards, '
'INSERT writers, recon.fix() and recon.backfill()): one-sided or transfer rows, with or without '
'filters on the ledger''s own columns. Else what makes it another shape (parent rows, effects '
'keyed on several columns, a running balance per column): those write paths refuse it.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_writable(_recon.ledger_source) FROM PUBLIC;
