-- recon.drop_check(): remove a check and its view; its findings history stays.
CREATE OR REPLACE FUNCTION recon.drop_check(name text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_column
DECLARE
    v_view name;
    v_kind text;
    v_wallet text;
BEGIN
    SELECT c.view_name, c.kind, c.wallet_source INTO v_view, v_kind, v_wallet
    FROM _recon."check"(drop_check.name) AS c;
    DELETE FROM _recon.watermark AS m WHERE m.check_name = drop_check.name;
    -- Its open findings are closed as dropped, not resolved (nothing saw them go), and stay as
    -- history; a new check of the same name starts with none.
    UPDATE _recon.finding AS f SET dropped_at = now()
    WHERE f.check_name = drop_check.name AND f.resolved_run IS NULL AND f.dropped_at IS NULL;
    DELETE FROM _recon.check_def AS c WHERE c.name = drop_check.name;
    PERFORM _recon.balance_state_drop(drop_check.name);
    -- RESTRICT: a user view on it stops this; IF EXISTS: a DROP ... CASCADE of the tables it
    -- read may have taken it (recon.discrepancies then says so, RC204)
    EXECUTE format('DROP VIEW IF EXISTS recon.%I', v_view);
    -- a balance check can change the ledgers a drift guard sums: it follows, or RC411
    IF v_kind = 'balance' THEN
        PERFORM _recon.guard_follow_checks(drop_check.name, v_wallet);
    END IF;
END;
$body$;

COMMENT ON FUNCTION recon.drop_check(text) IS
'Drops a check and its view (never CASCADE: a view of yours over it makes this fail). Its '
'open findings are closed as dropped (dropped_at); all its findings stay in the history '
'tables. A drift guard summing the ledgers of a balance check is enabled again with the '
'ledgers the remaining checks list (RC411, nothing dropped, when it cannot be). RC107 if '
'unknown. Needs the toolkit owner.';

REVOKE EXECUTE ON FUNCTION recon.drop_check(text) FROM PUBLIC;
