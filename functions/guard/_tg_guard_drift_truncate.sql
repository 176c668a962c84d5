-- _recon.tg_guard_drift_truncate(): a guard's TRUNCATE trigger (wallet, ledger or source table).
CREATE OR REPLACE FUNCTION _recon.tg_guard_drift_truncate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard _recon.guard;
BEGIN
    -- Row triggers do not fire for TRUNCATE: every balance (or every ledger effect) of the
    -- table would vanish without its counterpart, which is drift for every wallet at once.
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = tg_argv[0]::integer;
    IF FOUND AND NOT _recon.in_audited_fix() THEN
        PERFORM _recon.guard_violation(
            v_guard, NULL,
            format('TRUNCATE of %I.%I: every wallet''s %s vanish without their counterpart',
                   tg_table_schema, tg_table_name,
                   CASE tg_argv[1] WHEN 'ledger' THEN 'ledger effects'
                                   WHEN 'source' THEN 'source rows (what its derived column '
                                                      || 'sums)'
                                   ELSE 'stored balance' END),
            jsonb_build_object('operation', tg_op,
                               'table', format('%I.%I', tg_table_schema, tg_table_name)));
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_guard_drift_truncate() IS
'Statement trigger function of the drift, derived and lifecycle guards for TRUNCATE of their '
'wallet, ledger or source table (arguments: guard id, side): blocked at once with the guard''s '
'code (RC401, RC402, RC404) or warned about, since row triggers do not see a TRUNCATE.';

REVOKE EXECUTE ON FUNCTION _recon.tg_guard_drift_truncate() FROM PUBLIC;
