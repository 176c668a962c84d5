-- _recon.guards_off(): the enabled guards' triggers that are disabled or missing.
CREATE OR REPLACE FUNCTION _recon.guards_off()
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The table's owner can ALTER TABLE ... DISABLE TRIGGER (or drop one): the guard is then
    -- enabled in recon.guards and does nothing. 'D' never fires; 'R' fires only with
    -- session_replication_role = replica, i.e. not for the applications.
    SELECT COALESCE(jsonb_agg(o.entry ORDER BY o.id, o.ordinality), '[]'::jsonb)
    FROM (
        SELECT g.id, t.ordinality, jsonb_build_object(
                   'guard', g.id, 'kind', g.kind, 'target', g.target, 'table', t.value ->> 'table',
                   'trigger', t.value ->> 'trigger',
                   'state', CASE WHEN tg.oid IS NULL THEN 'missing'
                                 WHEN tg.tgenabled = 'D' THEN 'disabled'
                                 ELSE 'replica only' END) AS entry
        FROM _recon.guard AS g
        CROSS JOIN LATERAL jsonb_array_elements(g.triggers) WITH ORDINALITY AS t (value, ordinality)
        LEFT JOIN pg_catalog.pg_trigger AS tg
            ON tg.tgrelid = to_regclass(t.value ->> 'table')
           AND tg.tgname = t.value ->> 'trigger'
        WHERE tg.oid IS NULL OR tg.tgenabled IN ('D', 'R')
        UNION ALL
        -- block mode: the event triggers keeping rows from entering or leaving its tables
        -- through DDL (DETACH, DROP, ATTACH a partition or child) and giving new children its
        -- triggers; only a superuser can create them (table NULL: no table of yours)
        SELECT g.id, 1000000 + e.o, jsonb_build_object(
                   'guard', g.id, 'kind', g.kind, 'target', g.target, 'table', NULL,
                   'trigger', e.name,
                   'state', CASE WHEN ev.oid IS NULL THEN 'event trigger missing'
                                 WHEN ev.evtenabled = 'D' THEN 'event trigger disabled'
                                 ELSE 'event trigger replica only' END)
        FROM _recon.guard AS g
        CROSS JOIN unnest(ARRAY['recon_guard_children', 'recon_guard_ddl_start',
                                'recon_guard_ddl_end', 'recon_guard_ddl_drop'])
            WITH ORDINALITY AS e (name, o)
        LEFT JOIN pg_catalog.pg_event_trigger AS ev ON ev.evtname = e.name
        WHERE g.mode = 'block' AND (ev.oid IS NULL OR ev.evtenabled IN ('D', 'R'))
        UNION ALL
        -- a block-mode drift guard whose generated functions are not SECURITY DEFINER was
        -- enabled before migration 0023 and could not be enabled again at upgrade (a column
        -- of a type a user made, its table's owner needed): its sums are still in a setting
        -- the writer can reset (table NULL, trigger: the function)
        SELECT g.id, 2000000 + f.ordinality, jsonb_build_object(
                   'guard', g.id, 'kind', g.kind, 'target', g.target, 'table', NULL,
                   'trigger', f.value #>> '{}', 'state', 'not sealed')
        FROM _recon.guard AS g
        CROSS JOIN LATERAL jsonb_array_elements(COALESCE(g.compiled -> 'functions', '[]'))
            WITH ORDINALITY AS f (value, ordinality)
        JOIN pg_catalog.pg_proc AS p ON p.oid = to_regprocedure(f.value #>> '{}')
        WHERE g.kind = 'drift' AND g.mode = 'block' AND NOT p.prosecdef
    ) AS o;
$body$;

COMMENT ON FUNCTION _recon.guards_off() IS
'The triggers of enabled guards (recon.guards.triggers) that do not fire for the applications: '
'missing (dropped), disabled (ALTER TABLE ... DISABLE TRIGGER) or replica only (ENABLE REPLICA '
'TRIGGER); for a guard in block mode, also each event trigger of the toolkit that is missing '
'(an install by a role that is not a superuser) or disabled (table NULL, state "event trigger '
'missing"...: DDL moving rows into or out of its tables is then not refused), and each '
'generated function of a block-mode drift guard that is not SECURITY DEFINER (state "not '
'sealed": enabled before migration 0023, not enabled again since); a JSON array of '
'{guard, kind, target, table, trigger, state}. Shown by '
'recon.guards (triggers_off), wallet-recon status, every reconcile summary (guards_off) and '
'warn-mode alerts.';

REVOKE EXECUTE ON FUNCTION _recon.guards_off() FROM PUBLIC;
-- recon.guards calls it as whoever reads the view (functions in a view run as its reader,
-- hence SECURITY DEFINER: it reads _recon.guard, which they cannot)
GRANT EXECUTE ON FUNCTION _recon.guards_off() TO recon_auditor, recon_operator;
