-- _recon.guard_truncate_trigger(): a guard's BEFORE TRUNCATE trigger on one table.
CREATE OR REPLACE FUNCTION _recon.guard_truncate_trigger(
    p_relid oid, p_guard integer, p_side text, p_kind text
)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- row and statement triggers on INSERT, UPDATE, DELETE do not fire for a TRUNCATE
    SELECT jsonb_build_array(jsonb_build_object(
        'table', p_relid::regclass::text,
        'trigger', format('recon_guard_%s_%s_truncate', p_guard, p_side),
        'definition', format('BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                             || 'EXECUTE FUNCTION _recon.tg_guard_drift_truncate(%L, %L)',
                             p_relid::regclass, p_guard, p_kind)));
$body$;

COMMENT ON FUNCTION _recon.guard_truncate_trigger(oid, integer, text, text) IS
'The BEFORE TRUNCATE statement trigger a guard puts on one table, as [{"table", "trigger", '
'"definition"}]: _recon.tg_guard_drift_truncate(guard, p_kind) refuses (block) or warns about '
'the TRUNCATE. p_kind: wallet, ledger or source.';

REVOKE EXECUTE ON FUNCTION _recon.guard_truncate_trigger(oid, integer, text, text) FROM PUBLIC;
