-- _recon.guard_row_table(): refuse a sealed guard's row trigger function fired on a table
-- outside the guard's tables.
CREATE OR REPLACE FUNCTION _recon.guard_row_table(p_guard integer, p_relid oid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- The owner of a partitioned table under a guard may execute the guard's row trigger
    -- functions (PostgreSQL clones row triggers to a new partition as the role creating it:
    -- _recon.guard_grant_row_functions), so that role could also put one on a table of its
    -- own and feed the guard's sums rows that are not the ledger's. A row counts only from a
    -- table the guard put its triggers on (its roots) or a partition or inheritance child of
    -- one. The generated function asks only for a table that is neither the one it was
    -- generated for nor a partition of it (an inheritance child, a restored database).
    IF EXISTS (
        WITH RECURSIVE up AS (
            SELECT p_relid AS relid
            UNION
            SELECT i.inhparent FROM up JOIN pg_inherits AS i ON i.inhrelid = up.relid)
        SELECT FROM up
        JOIN _recon.guard AS g ON g.id = p_guard
        CROSS JOIN LATERAL jsonb_array_elements(g.compiled -> 'roots') AS r (value)
        WHERE up.relid = to_regclass(r.value ->> 'table')) THEN
        RETURN;
    END IF;
    PERFORM _recon.fail(
        'RC410', format('guard %s''s trigger function fired on %s, not one of its tables',
                        p_guard, p_relid::regclass),
        'It counts the rows of the tables it was enabled on, their partitions and children: '
        || 'a trigger on another table cannot add to its sums.',
        'Drop that trigger; a guard''s triggers are created by recon.enable_guard.');
END;
$body$;

COMMENT ON FUNCTION _recon.guard_row_table(integer, oid) IS
'RC410 unless table p_relid is one of guard p_guard''s tables (its roots) or a partition or '
'inheritance child of one at any depth: what a sealed guard''s row trigger function (run as '
'the toolkit''s owner) asks when it fires on a table other than the one it was generated for, '
'so that a trigger its owner put on another table cannot add to the guard''s sums.';

REVOKE EXECUTE ON FUNCTION _recon.guard_row_table(integer, oid) FROM PUBLIC;
