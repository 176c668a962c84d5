-- _recon.guard_parent_lock_sql(): lock the parent rows of the rows a statement wrote.
CREATE OR REPLACE FUNCTION _recon.guard_parent_lock_sql(
    p_ledger _recon.ledger_source, p_rows text, p_from text[] DEFAULT NULL
)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_alias text;
    v_from text;
    v_step text;
    v_start text;
    v_locks text[] := ARRAY[]::text[];
BEGIN
    -- Per alias, its chain of parents up to the rows written (inner joins: a row without that
    -- parent has nothing to lock), the alias's row locked FOR SHARE. The rows written are the
    -- ledger's (p_from NULL: they stand for r), or a parent table's (p_from: its aliases; then
    -- only the aliases reached through one of them, a transaction's parent transaction, on
    -- that table too or not). A
    -- transaction that changes such a row (FOR NO KEY UPDATE) then waits for the writer's
    -- commit, and its own parent trigger reads what the writer wrote; or the writer waits for
    -- it and reads the parent row as it committed it (READ COMMITTED), or fails to serialize.
    FOR v_alias IN SELECT e.key FROM jsonb_each(p_ledger.parents) AS e
                   ORDER BY (e.value ->> 'order')::integer LOOP
        v_from := '';
        v_start := NULL;
        v_step := v_alias;
        WHILE v_step IS NOT NULL LOOP
            v_from := format(' JOIN %1$s AS %2$I ON %2$I.%3$I = %4$s',
                             (p_ledger.parents -> v_step ->> 'relid')::oid::regclass,
                             'p_' || v_step, p_ledger.parents -> v_step ->> 'key',
                             _recon.ledger_ref_sql(p_ledger.parents -> v_step ->> 'via'))
                      || v_from;
            v_step := CASE WHEN strpos(p_ledger.parents -> v_step ->> 'via', '.') > 0
                           THEN split_part(p_ledger.parents -> v_step ->> 'via', '.', 1) END;
            IF v_step = ANY (p_from) THEN
                v_start := v_step;
                EXIT;
            END IF;
        END LOOP;
        IF p_from IS NULL THEN
            v_locks := v_locks || format('SELECT 1 FROM %s AS r%s FOR SHARE OF %I', p_rows,
                                         v_from, 'p_' || v_alias);
        ELSIF v_start IS NOT NULL THEN
            v_locks := v_locks || format('SELECT 1 FROM %s AS %I%s FOR SHARE OF %I', p_rows,
                                         'p_' || v_start, v_from, 'p_' || v_alias);
        END IF;
    END LOOP;
    RETURN v_locks;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_parent_lock_sql(_recon.ledger_source, text, text[]) IS
'SELECT statements (one per parent alias, through its chain) locking FOR SHARE, for a guard''s '
'statement trigger, the parent rows of the rows p_rows (recon_new or recon_old) a statement '
'wrote: of the ledger (p_from NULL), or of a parent table whose aliases are p_from (then the '
'rows of the aliases reached through them). A parent row changed by a concurrent transaction '
'is then either seen as it committed it, or waits for this one, whose rows its own trigger '
'then reads. Empty when there is nothing to lock.';

REVOKE EXECUTE ON FUNCTION _recon.guard_parent_lock_sql(_recon.ledger_source, text, text[])
FROM PUBLIC;
