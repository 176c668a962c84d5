-- _recon.recompile_guard(): enable one guard again with the installed generator, keeping it.
CREATE OR REPLACE FUNCTION _recon.recompile_guard(p_id integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard _recon.guard;
    v_seq text := pg_get_serial_sequence('_recon.guard', 'id');
    v_last bigint;
    v_called boolean;
    v_alerts bigint[];
    v_id integer;
BEGIN
    -- Disabled and enabled again with its options: it keeps its id (so its trigger names),
    -- when it was enabled and by whom, and its alerts. Any error is the caller's to handle
    -- (nothing of it is then changed).
    SELECT g.* INTO STRICT v_guard FROM _recon.guard AS g WHERE g.id = p_id;
    EXECUTE format('SELECT last_value, is_called FROM %s', v_seq) INTO v_last, v_called;
    v_alerts := ARRAY(SELECT a.id FROM _recon.alert AS a WHERE a.guard_id = v_guard.id);
    BEGIN
        PERFORM recon.disable_guard(v_guard.kind, v_guard.target);
        PERFORM setval(v_seq, v_guard.id, FALSE);
        v_id := (recon.enable_guard(
            v_guard.kind, v_guard.target,
            COALESCE(v_guard.options, '{}')
            || jsonb_build_object('mode', v_guard.mode, 'tolerance', v_guard.tolerance))
            ->> 'guard')::integer;
    EXCEPTION WHEN OTHERS THEN
        -- a sequence is not rolled back: the next guard must not take this one's id
        PERFORM setval(v_seq, v_last, v_called);
        RAISE;
    END;
    PERFORM setval(v_seq, v_last, v_called);
    IF v_id IS DISTINCT FROM v_guard.id THEN
        RAISE EXCEPTION 'guard % came back as %', v_guard.id, v_id;
    END IF;
    UPDATE _recon.guard AS g
    SET enabled_at = v_guard.enabled_at, enabled_by = v_guard.enabled_by
    WHERE g.id = v_guard.id;
    UPDATE _recon.alert AS a SET guard_id = v_guard.id WHERE a.id = ANY (v_alerts);
END;
$body$;

COMMENT ON FUNCTION _recon.recompile_guard(integer) IS
'Guard p_id disabled and enabled again with its options and the installed generator, keeping '
'its id (so its trigger names), enabled_at, enabled_by and alerts. Raises whatever '
'recon.disable_guard or recon.enable_guard raise (the tables'' owner is needed): callers '
'decide (_recon.recompile_guards reports it, _recon.guard_follow_checks refuses with RC411).';

REVOKE EXECUTE ON FUNCTION _recon.recompile_guard(integer) FROM PUBLIC;
