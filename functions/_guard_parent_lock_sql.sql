-- _recon.guard_parent_lock_sql(): lock the parent rows of the ledger rows a statement wrote.
CREATE OR REPLACE FUNCTION _recon.guard_parent_lock_sql(p_ledger _recon.ledger_source, p_rows text)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_alias text;
    v_from text;
    v_step text;
    v_locks text[] := ARRAY[]::text[];
BEGIN
    -- Per alias, its chain of parents from the ledger row (inner joins: a row without that
    -- parent has nothing to lock), the alias's row locked FOR SHARE. A transaction that
    -- changes such a row (FOR NO KEY UPDATE) then waits for the writer's commit, and its own
    -- parent trigger reads the writer's ledger rows; or the writer waits for it and reads the
    -- parent row as it committed it (READ COMMITTED), or fails to serialize (40001).
    FOR v_alias IN SELECT e.key FROM jsonb_each(p_ledger.parents) AS e
                   ORDER BY (e.value ->> 'order')::integer LOOP
        v_from := '';
        v_step := v_alias;
        WHILE v_step IS NOT NULL LOOP
            v_from := format(' JOIN %1$s AS %2$I ON %2$I.%3$I = %4$s',
                             (p_ledger.parents -> v_step ->> 'relid')::oid::regclass,
                             'p_' || v_step, p_ledger.parents -> v_step ->> 'key',
                             _recon.ledger_ref_sql(p_ledger.parents -> v_step ->> 'via'))
                      || v_from;
            v_step := CASE WHEN strpos(p_ledger.parents -> v_step ->> 'via', '.') > 0
                           THEN split_part(p_ledger.parents -> v_step ->> 'via', '.', 1) END;
        END LOOP;
        v_locks := v_locks || format('SELECT 1 FROM %s AS r%s FOR SHARE OF %I', p_rows, v_from,
                                     'p_' || v_alias);
    END LOOP;
    RETURN v_locks;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_parent_lock_sql(_recon.ledger_source, text) IS
'SELECT statements (one per parent alias, through its chain) locking FOR SHARE, for a guard''s '
'statement trigger on the ledger, the parent rows of the ledger rows p_rows (recon_new or '
'recon_old): a parent row changed by a concurrent transaction is then either seen as it '
'committed it, or waits for this one, whose ledger rows its own trigger then reads. Empty '
'without parents.';

REVOKE EXECUTE ON FUNCTION _recon.guard_parent_lock_sql(_recon.ledger_source, text) FROM PUBLIC;
