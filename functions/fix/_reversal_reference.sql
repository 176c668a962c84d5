-- _recon.reversal_reference(): REV-<entry id>, if the ledger's reference column can hold it.
CREATE OR REPLACE FUNCTION _recon.reversal_reference(p_ledger text, p_entry text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A string column (text, varchar, char, citext, a domain over one) long enough for it:
    -- varchar(n) and char(n) keep their length in typmod + 4. A uuid, a number, a short
    -- varchar: NULL, and the writer's reference template is used instead (docs/REPAIRS.md).
    SELECT 'REV-' || p_entry
    FROM _recon.ledger_source AS l
    JOIN pg_catalog.pg_attribute AS a
        ON a.attrelid = l.relid AND a.attname = l.reference_column AND a.attnum > 0
           AND NOT a.attisdropped
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    JOIN pg_catalog.pg_type AS b ON b.oid = COALESCE(NULLIF(t.typbasetype, 0), t.oid)
    WHERE l.name = p_ledger AND b.typcategory = 'S'
      AND (CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END < 4
           OR length('REV-' || p_entry)
              <= (CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END) - 4);
$body$;

COMMENT ON FUNCTION _recon.reversal_reference(text, text) IS
'The reference of the entry reversing p_entry in ledger p_ledger: REV-<entry id> when the '
'ledger''s reference column is a string type long enough to hold it, else NULL (the posting '
'then takes the writer''s reference template, as adjustments do). Either way the toolkit '
'records the reversal in _recon.reversal, which the duplicate and orphan checks read.';

REVOKE EXECUTE ON FUNCTION _recon.reversal_reference(text, text) FROM PUBLIC;
