-- Undo 0002: the compiled check views first (they depend on the user's tables and on nothing
-- of ours), then the union view, then the tables.
DROP VIEW recon.discrepancies;
DO $drop$
DECLARE
    v_view name;
BEGIN
    FOR v_view IN SELECT c.view_name FROM _recon.check_def AS c LOOP
        EXECUTE format('DROP VIEW recon.%I', v_view);
    END LOOP;
END
$drop$;
DROP TABLE _recon.run_stage;
DROP TABLE _recon.observation;
DROP TABLE _recon.finding;
DROP TABLE _recon.run;
DROP TABLE _recon.check_def;
DROP TABLE _recon.ledger_source;
DROP TABLE _recon.wallet_source;
