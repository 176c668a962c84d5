-- _recon.guard_recheck_parents(): refuse DDL that leaves an enabled guard without what it
-- needs to read a ledger's parent rows.
CREATE OR REPLACE FUNCTION _recon.guard_recheck_parents()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard _recon.guard;
    v_ledger _recon.ledger_source;
    v_message text;
    v_detail text;
BEGIN
    -- A drift or double-entry guard on a ledger with parent rows was enabled only with a
    -- foreign key on each link (_recon.parent_foreign_key) and no inheritance child under a
    -- parent table (_recon.require_guard_shape). An ALTER TABLE that takes either away (DROP
    -- CONSTRAINT, DISABLE TRIGGER ALL, ALTER CONSTRAINT ... DEFERRABLE, NOT ENFORCED, INHERIT,
    -- a new child of the ledger without the key) would leave the guard reading parent rows it
    -- can no longer trust: the statement is refused, naming the guard to disable first.
    FOR v_guard IN SELECT g.* FROM _recon.guard AS g
                   WHERE g.kind IN ('drift', 'double_entry') ORDER BY g.id LOOP
        SELECT l.* INTO v_ledger FROM _recon.ledger_source AS l WHERE l.name = v_guard.target;
        CONTINUE WHEN NOT FOUND OR v_ledger.parents IS NULL;
        BEGIN
            PERFORM _recon.require_guard_shape(v_ledger, v_guard.kind);
        EXCEPTION WHEN SQLSTATE 'RC406' THEN
            GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
            PERFORM _recon.fail(
                'RC409',
                format('this statement would leave the %s guard on %s unable to read the parent '
                       || 'rows of its ledger: %s', v_guard.kind, v_guard.target,
                       regexp_replace(v_message, '^.*?: ', '')),
                v_detail,
                format('Disable the guard first: SELECT recon.disable_guard(%L, %L); and enable '
                       || 'it again once the foreign key is back (docs/GUARDS.md "Ledger '
                       || 'shapes").', v_guard.kind, v_guard.target));
        END;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_recheck_parents() IS
'Called by the event trigger recon_guard_children after every CREATE TABLE and ALTER TABLE: '
'fails with RC409 (the HINT names recon.disable_guard) when an enabled drift or double-entry '
'guard on a ledger with parent rows no longer has what _recon.require_guard_shape asked of it '
'when it was enabled (a foreign key on each link, enforced, its triggers enabled, validated, '
'not deferrable, NO ACTION; no inheritance child under a parent table), so the DDL is rolled '
'back.';

REVOKE EXECUTE ON FUNCTION _recon.guard_recheck_parents() FROM PUBLIC;
