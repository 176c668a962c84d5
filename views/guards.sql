-- recon.guards: the write-path guards enabled, and the triggers each created.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.guards;
CREATE VIEW recon.guards AS
SELECT
    g.id,
    g.kind,
    g.target,
    g.mode,
    g.tolerance,
    g.triggers,
    g.enabled_at,
    g.enabled_by,
    coalesce(g.compiled -> 'functions', '[]'::jsonb) AS trigger_functions,
    (
        SELECT coalesce(jsonb_agg(o.value - 'guard' - 'kind' - 'target'), '[]'::jsonb)
        FROM jsonb_array_elements(_recon.guards_off()) AS o
        WHERE (o.value ->> 'guard')::integer = g.id
    ) AS triggers_off,
    CASE WHEN g.kind = 'drift' AND g.mode = 'block' THEN _recon.guard_sealed(g.id) END AS sealed
FROM _recon.guard AS g
ORDER BY g.id;
COMMENT ON VIEW recon.guards IS
'Enabled write-path guards (recon.enable_guard): kind, guarded ledger source or check, mode '
'(warn or block), tolerance, exactly the triggers it put on your tables, and the trigger '
'functions it generated for them (trigger_functions: a drift guard''s two, in schema _recon), '
'and triggers_off: those of its triggers that are disabled or missing (then the guard does '
'nothing there; _recon.guards_off), and sealed: for a drift guard in block mode, whether '
'its sums are sealed (false: enabled before 0023 and not enabled again by the upgrade; run '
'recon.enable_guard as its table''s owner).';
REVOKE ALL ON recon.guards FROM PUBLIC;
GRANT SELECT ON recon.guards TO recon_auditor, recon_operator;
