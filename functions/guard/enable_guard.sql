-- recon.enable_guard(): put a guard on the write path of registered tables.
CREATE OR REPLACE FUNCTION recon.enable_guard(
    kind text, target text, options jsonb DEFAULT '{}'
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_old _recon.guard;
    v_mode text;
    v_tolerance numeric;
    v_id integer;
    v_compiled jsonb;
    v_trigger jsonb;
    v_function jsonb;
    v_owner text;
    v_table text;
BEGIN
    PERFORM _recon.guard_check_options(enable_guard.kind, enable_guard.target,
                                       enable_guard.options);
    v_mode := COALESCE(enable_guard.options ->> 'mode', 'warn');
    v_tolerance := COALESCE((enable_guard.options ->> 'tolerance')::numeric, 0);

    -- Enabling twice is harmless: the same guard is kept, another mode replaces it.
    SELECT g.* INTO v_old FROM _recon.guard AS g WHERE g.kind = enable_guard.kind AND g.target = enable_guard.target;
    IF FOUND AND v_old.mode = v_mode AND v_old.tolerance = v_tolerance
       AND COALESCE(v_old.options ->> 'check_on', 'wallet')
           = COALESCE(enable_guard.options ->> 'check_on', 'wallet')
       AND COALESCE(v_old.options ->> 'null_journals', 'blocked')
           = COALESCE(enable_guard.options ->> 'null_journals', 'blocked') THEN
        RETURN jsonb_build_object('guard', v_old.id, 'kind', enable_guard.kind, 'target', enable_guard.target,
                                  'mode', v_mode, 'triggers', v_old.triggers, 'changed', FALSE);
    ELSIF FOUND THEN
        PERFORM recon.disable_guard(enable_guard.kind, enable_guard.target);
    END IF;

    INSERT INTO _recon.guard (kind, target, mode, tolerance, options, compiled, triggers)
    VALUES (enable_guard.kind, enable_guard.target, v_mode, v_tolerance, enable_guard.options, '{}', '[]')
    RETURNING id INTO v_id;
    v_compiled := _recon.guard_compile(enable_guard.kind, enable_guard.target, v_id);
    -- partitions and inheritance children get the triggers too, now and (event trigger
    -- recon_guard_children, from the "roots" kept) when they are created or attached later
    v_compiled := v_compiled || jsonb_build_object(
        'roots', v_compiled -> 'triggers',
        'triggers', _recon.guard_tree_triggers(v_compiled -> 'triggers'));
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger AS e
                   WHERE e.evtname = 'recon_guard_children' AND e.evtenabled <> 'D')
       AND EXISTS (SELECT FROM jsonb_array_elements(v_compiled -> 'roots') AS t
                   JOIN pg_catalog.pg_class AS c ON c.oid = (t.value ->> 'table')::regclass
                   WHERE c.relkind = 'p' OR EXISTS (SELECT FROM pg_catalog.pg_inherits AS i
                                                    WHERE i.inhparent = c.oid)) THEN
        PERFORM _recon.fail(
            'RC406', format('cannot keep a %s guard on %s over partitions', enable_guard.kind, enable_guard.target),
            'Its table has partitions or inheritance children, and the event trigger '
            || 'recon_guard_children that guards the ones created later is not installed '
            || '(only a superuser can create it).',
            'Install the toolkit as a superuser, or have one run: CREATE EVENT TRIGGER '
            || 'recon_guard_children ON ddl_command_end WHEN TAG IN (''CREATE TABLE'', '
            || '''ALTER TABLE'') EXECUTE FUNCTION _recon.evt_guard_children(); '
            || 'docs/GUARDS.md "Partitioned ledgers".');
    END IF;
    -- a guard on parent rows relies on foreign keys that the same event trigger keeps from
    -- being dropped or disabled under it (_recon.guard_recheck_parents)
    IF enable_guard.kind IN ('drift', 'double_entry')
       AND (SELECT l.parents FROM _recon.ledger_source AS l WHERE l.name = enable_guard.target) IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger AS e
                       WHERE e.evtname = 'recon_guard_children' AND e.evtenabled <> 'D') THEN
        PERFORM _recon.fail(
            'RC406', format('cannot keep a %s guard on %s over parent rows', enable_guard.kind, enable_guard.target),
            'Its ledger reads parent rows through foreign keys, and the event trigger '
            || 'recon_guard_children that refuses to drop or disable one under an enabled guard '
            || 'is not installed (only a superuser can create it).',
            'Install the toolkit as a superuser, or have one run: CREATE EVENT TRIGGER '
            || 'recon_guard_children ON ddl_command_end WHEN TAG IN (''CREATE TABLE'', '
            || '''ALTER TABLE'') EXECUTE FUNCTION _recon.evt_guard_children(); '
            || 'docs/GUARDS.md "Ledger shapes".');
    END IF;
    -- the trigger functions generated for this guard (drift), owned like the toolkit's own
    SELECT n.nspowner::regrole::text INTO v_owner
    FROM pg_catalog.pg_namespace AS n WHERE n.nspname = '_recon';
    FOR v_function IN SELECT f.value FROM jsonb_array_elements(v_compiled -> 'functions') AS f
    LOOP
        EXECUTE v_function ->> 'definition';
        IF v_owner <> current_user::text THEN
            EXECUTE format('ALTER FUNCTION %s OWNER TO %s', v_function ->> 'function', v_owner);
        END IF;
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', v_function ->> 'function');
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', v_function ->> 'function',
                       format('wallet-recon %s guard %s on %s: generated row trigger function '
                              || '(recon.disable_guard(%L, %L) drops it)', enable_guard.kind, v_id,
                              enable_guard.target, enable_guard.kind, enable_guard.target));
    END LOOP;
    -- Every table's lock first, in the triggers' order (wallets before ledger: the order
    -- applications write in), so that enabling under load waits for them instead of
    -- deadlocking with them (found by the bank test).
    FOR v_table IN SELECT t.value ->> 'table'
                   FROM jsonb_array_elements(v_compiled -> 'triggers') WITH ORDINALITY AS t
                   GROUP BY t.value ->> 'table' ORDER BY min(t.ordinality) LOOP
        EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_table);
    END LOOP;
    FOR v_trigger IN SELECT t.value FROM jsonb_array_elements(v_compiled -> 'triggers') AS t LOOP
        EXECUTE format(CASE WHEN (v_trigger ->> 'constraint')::boolean
                            THEN 'CREATE CONSTRAINT TRIGGER %I ' ELSE 'CREATE TRIGGER %I ' END,
                       v_trigger ->> 'trigger')
            || (v_trigger ->> 'definition');
        EXECUTE format('COMMENT ON TRIGGER %I ON %s IS %L', v_trigger ->> 'trigger',
                       v_trigger ->> 'table',
                       format('wallet-recon %s guard %s on %s (recon.disable_guard(%L, %L) '
                              || 'removes it)', enable_guard.kind, v_id, enable_guard.target, enable_guard.kind, enable_guard.target));
    END LOOP;
    -- the owner of a partitioned table may create partitions (its row triggers are cloned)
    PERFORM _recon.guard_grant_row_functions(v_compiled -> 'triggers');
    UPDATE _recon.guard AS g
    SET compiled = jsonb_build_object(
            'sql', v_compiled -> 'sql',
            'roots', v_compiled -> 'roots',
            'functions', (SELECT COALESCE(jsonb_agg(f.value -> 'function'), '[]'::jsonb)
                          FROM jsonb_array_elements(v_compiled -> 'functions') AS f))
            -- a drift guard: the ledgers it sums, for _recon.guard_follow_checks
            || CASE WHEN enable_guard.kind = 'drift'
                    THEN jsonb_build_object('ledgers',
                                            _recon.guard_drift_sums(enable_guard.target))
                    ELSE '{}'::jsonb END,
        triggers = (SELECT COALESCE(jsonb_agg(t.value - 'definition'), '[]'::jsonb)
                    FROM jsonb_array_elements(v_compiled -> 'triggers') AS t)
    WHERE g.id = v_id;
    RETURN jsonb_build_object('guard', v_id, 'kind', enable_guard.kind, 'target', enable_guard.target, 'mode', v_mode,
                              'triggers', (SELECT g.triggers FROM _recon.guard AS g
                                           WHERE g.id = v_id), 'changed', TRUE);
END;
$body$;

COMMENT ON FUNCTION recon.enable_guard(text, text, jsonb) IS
'Enables a write-path guard: drift (ledger source: every committed transaction leaves each '
'wallet it touched with a stored change equal to its ledger effects), derived (derived check), '
'append_only (ledger source), double_entry (ledger source with a journal column), lifecycle '
'(lifecycle check). Options: {"mode": "warn"|"block", "tolerance": n, and for drift '
'"check_on": "wallet"|"ledger", the table whose rows queue the commit-time check; for '
'double_entry "null_journals": "blocked" (default: an entry without a journal is blocked) or '
'"allowed"}. A drift guard in block mode is sealed (SECURITY DEFINER functions, sums in '
'_recon.guard_spill: no bypass from the writer''s transaction). Enabling '
'twice is harmless; other options replace the guard. A drift guard also generates its three '
'trigger functions (_recon.tg_drift_<id>_wallet / _ledger / _check). Errors: RC406, RC107, '
'RC106. Needs the '
'owner of the tables. docs/GUARDS.md.';

REVOKE EXECUTE ON FUNCTION recon.enable_guard(text, text, jsonb) FROM PUBLIC;
