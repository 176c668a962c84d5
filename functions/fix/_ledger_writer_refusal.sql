-- _recon.ledger_writer_refusal(): why a writer of a kind (or recon.fix) cannot post into a ledger.
CREATE OR REPLACE FUNCTION _recon.ledger_writer_refusal(
    p_ledger _recon.ledger_source, p_kind text
)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- Repairs read every shape through its legs (measures, evidence, conservation,
    -- re-verification), so a posting function and recon.fix() may serve any ledger of a row
    -- shape the writers know. An INSERT writes one ledger row: it cannot write or check the
    -- parent row a filter or an effect rule reads (which transaction, of which status).
    SELECT CASE
        WHEN p_ledger.shape NOT IN ('entries', 'transfer')
            THEN format('its rows are %s rows', p_ledger.shape)
        WHEN p_kind = 'insert' AND EXISTS (
            SELECT FROM jsonb_array_elements(p_ledger.filters) AS f
            WHERE strpos(f ->> 'column', '.') > 0)
            THEN format('a filter reads parent rows (%s): an INSERT into %s cannot write or '
                        || 'check them', (
                            SELECT string_agg(f ->> 'column', ', ')
                            FROM jsonb_array_elements(p_ledger.filters) AS f
                            WHERE strpos(f ->> 'column', '.') > 0), p_ledger.relid::regclass)
        WHEN p_kind = 'insert' AND EXISTS (
            SELECT FROM jsonb_array_elements_text(p_ledger.kinds -> 'keys') AS k
            WHERE strpos(k, '.') > 0)
            THEN format('its effect rules read parent rows (%s): an INSERT into %s cannot '
                        || 'write or check them', (
                            SELECT string_agg(k, ', ')
                            FROM jsonb_array_elements_text(p_ledger.kinds -> 'keys') AS k
                            WHERE strpos(k, '.') > 0), p_ledger.relid::regclass)
    END;
$body$;

COMMENT ON FUNCTION _recon.ledger_writer_refusal(_recon.ledger_source, text) IS
'NULL when a writer of kind p_kind (''insert'', ''function''; NULL for recon.fix() itself) can '
'post into the ledger source; else why not: a row shape other than entries and transfer rows '
'(any kind), or, for an INSERT writer, a filter or effect rule that reads a parent row (the '
'INSERT cannot write or check it: a posting function can). Parent rows, effects keyed on '
'several columns and a running balance per column are otherwise served: repairs read the legs '
'(_recon.legs_sql) and verify what a writer posted (RC307). recon.register_writer, '
'_recon.fix_plan.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_writer_refusal(_recon.ledger_source, text) FROM PUBLIC;
