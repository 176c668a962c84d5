-- _recon.guard_statement_triggers(): a guard's statement-level triggers on one table.
CREATE OR REPLACE FUNCTION _recon.guard_statement_triggers(
    p_relid oid, p_guard integer, p_side text,
    p_ops text[] DEFAULT ARRAY['insert', 'update', 'delete'],
    p_function text DEFAULT '_recon.tg_guard_statement'
)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT jsonb_agg(jsonb_build_object(
        'table', p_relid::regclass::text,
        'trigger', format('recon_guard_%s_%s_%s', p_guard, p_side, o),
        'definition', format(
            'AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT '
            || 'EXECUTE FUNCTION %s(%L, %L)',
            upper(o), p_relid::regclass,
            CASE o WHEN 'insert' THEN 'NEW TABLE AS recon_new'
                   WHEN 'delete' THEN 'OLD TABLE AS recon_old'
                   ELSE 'OLD TABLE AS recon_old NEW TABLE AS recon_new' END,
            p_function, p_guard, p_side || '_' || o)
    ) ORDER BY array_position(p_ops, o))
    FROM unnest(p_ops) AS o;
$body$;

COMMENT ON FUNCTION _recon.guard_statement_triggers(oid, integer, text, text[], text) IS
'The AFTER ... FOR EACH STATEMENT triggers (with transition tables recon_new / recon_old) a '
'guard puts on one table, one per operation: [{"table", "trigger", "definition"}]. Each runs '
'trigger function p_function (_recon.tg_guard_statement, or a drift guard''s '
'_recon.tg_drift_<id>_legs) with the guard id and <p_side>_<operation>.';

REVOKE EXECUTE ON FUNCTION _recon.guard_statement_triggers(oid, integer, text, text[], text)
FROM PUBLIC;
