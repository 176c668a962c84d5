-- Undo 0009. The duplicate and orphan check views read _recon.reversal (and _recon.repair)
-- through their in-effect condition: that condition is rewritten to read nothing of ours
-- (recorded reversals no longer count; a matching hand-posted REV- still does) before the
-- table goes, so that the views keep working and uninstall can drop them. An upgrade compiles
-- them again (functions/_recompile_checks.sql).
DO $rewrite$
DECLARE
    v_check record;
    v_sql text;
BEGIN
    FOR v_check IN SELECT c.name, c.view_name, c.compiled_sql FROM _recon.check_def AS c
                   WHERE strpos(c.compiled_sql, '_recon.reversal') > 0 LOOP
        v_sql := regexp_replace(
            v_check.compiled_sql,
            'EXISTS \(SELECT FROM _recon\.reversal AS rc WHERE .*?'
            || 'ru\.reverses = rc\.repair_id\)\)',
            'FALSE', 'g');
        EXECUTE format('CREATE OR REPLACE VIEW recon.%I AS %s', v_check.view_name, v_sql);
        UPDATE _recon.check_def AS c SET compiled_sql = v_sql WHERE c.name = v_check.name;
    END LOOP;
END;
$rewrite$;
DROP TABLE _recon.reversal;
