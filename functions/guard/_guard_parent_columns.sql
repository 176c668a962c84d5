-- _recon.guard_parent_columns(): the columns of a parent table that a ledger's legs read.
CREATE OR REPLACE FUNCTION _recon.guard_parent_columns(
    p_ledger _recon.ledger_source, p_aliases jsonb
)
RETURNS text[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- for each alias on the table: its key, the columns filters and effect keys name as
    -- "<alias>.<column>", and those another alias goes through ("via": "<alias>.<column>")
    SELECT COALESCE(array_agg(DISTINCT c.col ORDER BY c.col), ARRAY[]::text[])
    FROM jsonb_each(p_aliases) AS a
    CROSS JOIN LATERAL (
        SELECT a.value ->> 'key'
        UNION ALL
        SELECT substr(r.ref, length(a.key) + 2)
        FROM (SELECT f ->> 'column' AS ref FROM jsonb_array_elements(p_ledger.filters) AS f
              UNION ALL
              SELECT k FROM jsonb_array_elements_text(p_ledger.kinds -> 'keys') AS k
              UNION ALL
              SELECT p.value ->> 'via' FROM jsonb_each(p_ledger.parents) AS p) AS r
        WHERE starts_with(r.ref, a.key || '.')
    ) AS c (col);
$body$;

COMMENT ON FUNCTION _recon.guard_parent_columns(_recon.ledger_source, jsonb) IS
'The columns of a parent table (its aliases p_aliases) that the ledger source''s legs read: '
'each alias''s key, the columns its filters and effect keys name, and those another alias is '
'reached through. A write that changes none of them changes no leg.';

REVOKE EXECUTE ON FUNCTION _recon.guard_parent_columns(_recon.ledger_source, jsonb) FROM PUBLIC;
