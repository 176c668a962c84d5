-- recon.disable_guard(): remove a guard: exactly the triggers it created.
CREATE OR REPLACE FUNCTION recon.disable_guard(kind text, target text)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard _recon.guard;
    v_trigger jsonb;
    v_function text;
    v_table text;
BEGIN
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.kind = disable_guard.kind AND g.target = disable_guard.target;
    IF NOT FOUND THEN
        PERFORM _recon.fail('RC406', format('no %s guard on %L', disable_guard.kind, disable_guard.target),
                            'Only an enabled guard can be disabled.',
                            'SELECT * FROM recon.guards; lists them.');
    END IF;
    -- the tables' locks first, in the triggers' order (see recon.enable_guard)
    FOR v_table IN SELECT t.value ->> 'table'
                   FROM jsonb_array_elements(v_guard.triggers) WITH ORDINALITY AS t
                   WHERE to_regclass(t.value ->> 'table') IS NOT NULL
                   GROUP BY t.value ->> 'table' ORDER BY min(t.ordinality) LOOP
        EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_table);
    END LOOP;
    FOR v_trigger IN SELECT t.value FROM jsonb_array_elements(v_guard.triggers) AS t
                     WHERE to_regclass(t.value ->> 'table') IS NOT NULL LOOP  -- a child dropped
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger ->> 'trigger',
                       v_trigger ->> 'table');
    END LOOP;
    -- then the trigger functions generated for it (drift)
    FOR v_function IN SELECT f.value FROM jsonb_array_elements_text(
        COALESCE(v_guard.compiled -> 'functions', '[]'::jsonb)) AS f LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s', v_function);
    END LOOP;
    DELETE FROM _recon.guard AS g WHERE g.id = v_guard.id;
    RETURN jsonb_build_object('guard', v_guard.id, 'kind', disable_guard.kind, 'target', disable_guard.target,
                              'dropped', v_guard.triggers,
                              'functions', COALESCE(v_guard.compiled -> 'functions', '[]'));
END;
$body$;

COMMENT ON FUNCTION recon.disable_guard(text, text) IS
'Disables a guard: drops exactly the triggers recon.enable_guard() created for it, and the '
'trigger functions it generated for it (drift), nothing else. RC406 if there is no such '
'guard. Needs the owner of the tables.';

REVOKE EXECUTE ON FUNCTION recon.disable_guard(text, text) FROM PUBLIC;
