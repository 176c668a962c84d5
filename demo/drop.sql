-- wallet-recon demo: remove everything demo/runbook.sql, holds.sql, activations.sql and
-- coins.sql created, whichever of them were loaded (none, some or all): safe to run again.
--
-- Through the public API, in dependency order:
--   1. guards someone enabled on a demo source or check while exploring (recon.disable_guard
--      drops exactly the triggers they created);
--   2. every check over the demo's tables (recon.drop_check; its fix policy goes with it, its
--      findings stay in the history as dropped);
--   3. the ledger sources (recon.drop_source; their writers go with them), then the wallet
--      sources;
--   4. the four recon_demo_* schemas: tables, data, posting functions.
-- The reconcile runs, findings and repair audit of the demo stay: the toolkit keeps its history
-- (the audit tables are append-only).
--
-- A demo source is a registered source whose table is in a recon_demo_* schema, or, if its
-- table is gone, one of the demo's own source names. A demo check is one over a demo source, or
-- one whose options name a table in a recon_demo_* schema (a total check has no source).
DO $drop$
DECLARE
    v_sources text[];
    v_checks text[];
    v_name text;
    v_kind text;
BEGIN
    SELECT COALESCE(array_agg(s.name), '{}') INTO v_sources
    FROM recon.sources AS s
    LEFT JOIN pg_catalog.pg_class AS c ON c.oid = pg_catalog.to_regclass(s.table_name)
    LEFT JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid
    WHERE n.nspname LIKE 'recon\_demo\_%'
       OR (c.oid IS NULL AND s.name IN ('runbook_wallets', 'runbook_ledger', 'holds_balances',
                                        'holds_operations', 'activations_wallets',
                                        'activations_ledger', 'coins_wallets', 'coins_journal'));
    SELECT COALESCE(array_agg(k.name ORDER BY k.name), '{}') INTO v_checks
    FROM recon.checks AS k
    WHERE k.wallet_source = ANY (v_sources) OR k.ledger_source = ANY (v_sources)
       OR k.options::text LIKE '%recon\_demo\_%';

    FOR v_kind, v_name IN SELECT g.kind, g.target FROM recon.guards AS g
                          WHERE g.target = ANY (v_sources || v_checks) ORDER BY g.id LOOP
        PERFORM recon.disable_guard(v_kind, v_name);
    END LOOP;
    FOREACH v_name IN ARRAY v_checks LOOP
        PERFORM recon.drop_check(v_name);
    END LOOP;
    FOR v_name IN SELECT s.name FROM recon.sources AS s
                  WHERE s.name = ANY (v_sources)
                  ORDER BY s.source_type = 'wallet', s.name LOOP
        PERFORM recon.drop_source(v_name);
    END LOOP;
END;
$drop$;

DROP SCHEMA IF EXISTS recon_demo_runbook CASCADE;
DROP SCHEMA IF EXISTS recon_demo_holds CASCADE;
DROP SCHEMA IF EXISTS recon_demo_activations CASCADE;
DROP SCHEMA IF EXISTS recon_demo_coins CASCADE;
