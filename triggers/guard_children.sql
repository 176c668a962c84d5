-- A table that becomes a partition or an inheritance child of a guarded table gets the guard's
-- triggers in the same statement (an event trigger at ddl_command_end): a guard cannot be
-- bypassed by writing into a child. If they cannot be created, the DDL fails. A table detached
-- from the tree loses them.
CREATE OR REPLACE FUNCTION _recon.evt_guard_children()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard _recon.guard;
    v_trigger jsonb;
    v_expected jsonb;
    v_kept jsonb;
BEGIN
    -- cheap exit for every DDL while no guard is enabled
    IF NOT EXISTS (SELECT FROM _recon.guard AS g WHERE g.compiled ? 'roots') THEN
        RETURN;
    END IF;
    -- a foreign key a guard on parent rows needs, dropped or disabled: refused
    PERFORM _recon.guard_recheck_parents();
    -- no row lock: a CREATE TEMP TABLE in a read-only transaction must still work; a guard
    -- row is written only when a table joined or left its tree
    FOR v_guard IN SELECT g.* FROM _recon.guard AS g WHERE g.compiled ? 'roots'
                   ORDER BY g.id LOOP
        v_expected := _recon.guard_tree_triggers(v_guard.compiled -> 'roots');
        -- 1. a table no longer in the tree (detached, NO INHERIT) loses what it got as a child
        v_kept := '[]';
        FOR v_trigger IN SELECT t.value FROM jsonb_array_elements(v_guard.triggers) AS t LOOP
            IF v_trigger ? 'root' AND NOT EXISTS (
                SELECT FROM jsonb_array_elements(v_expected) AS e
                WHERE e.value ->> 'table' = v_trigger ->> 'table'
                  AND e.value ->> 'trigger' = v_trigger ->> 'trigger') THEN
                IF to_regclass(v_trigger ->> 'table') IS NOT NULL THEN
                    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger ->> 'trigger',
                                   v_trigger ->> 'table');
                END IF;
            ELSE
                v_kept := v_kept || jsonb_build_array(v_trigger);
            END IF;
        END LOOP;
        -- 2. a table new in the tree (created as a partition or child, attached, INHERIT)
        FOR v_trigger IN
            SELECT t.value
            FROM jsonb_array_elements(v_expected) AS t
            WHERE NOT EXISTS (SELECT FROM pg_trigger AS x
                              WHERE x.tgrelid = (t.value ->> 'table')::regclass
                                AND x.tgname = t.value ->> 'trigger') LOOP
            EXECUTE format(CASE WHEN (v_trigger ->> 'constraint')::boolean
                                THEN 'CREATE CONSTRAINT TRIGGER %I ' ELSE 'CREATE TRIGGER %I ' END,
                           v_trigger ->> 'trigger')
                || (v_trigger ->> 'definition');
            EXECUTE format('COMMENT ON TRIGGER %I ON %s IS %L', v_trigger ->> 'trigger',
                           v_trigger ->> 'table',
                           format('wallet-recon %s guard %s on %s (recon.disable_guard(%L, %L) '
                                  || 'removes it)', v_guard.kind, v_guard.id, v_guard.target,
                                  v_guard.kind, v_guard.target));
            IF v_trigger ? 'root' THEN
                v_kept := v_kept || jsonb_build_array(v_trigger - 'definition');
            END IF;
        END LOOP;
        IF v_kept <> v_guard.triggers THEN
            UPDATE _recon.guard AS g SET triggers = v_kept WHERE g.id = v_guard.id;
        END IF;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.evt_guard_children() IS
'Event trigger function (recon_guard_children, ddl_command_end on CREATE TABLE and ALTER '
'TABLE): a table that has become a partition or an inheritance child of a guarded table gets '
'the guard''s triggers (_recon.guard_tree_triggers), recorded in the guard so that '
'recon.disable_guard() drops them; if that fails, the DDL fails. A table detached (DETACH '
'PARTITION, NO INHERIT) loses the triggers it got as a child. A statement that takes away a '
'foreign key an enabled guard on parent rows needs is refused (RC409, '
'_recon.guard_recheck_parents). SECURITY DEFINER: the table''s '
'owner needs no right on the toolkit. docs/GUARDS.md "Partitioned ledgers".';

REVOKE EXECUTE ON FUNCTION _recon.evt_guard_children() FROM PUBLIC;

-- Only a superuser can create an event trigger: an install by another role has none, and then
-- recon.enable_guard() refuses a tree it could not keep guarded (docs/GUARDS.md).
DO $do$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
        DROP EVENT TRIGGER IF EXISTS recon_guard_children;
        CREATE EVENT TRIGGER recon_guard_children ON ddl_command_end
            WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
            EXECUTE FUNCTION _recon.evt_guard_children();
        COMMENT ON EVENT TRIGGER recon_guard_children IS
        'wallet-recon: gives a new partition or inheritance child of a guarded table the '
        'guard''s triggers (_recon.evt_guard_children).';
    END IF;
END;
$do$;
