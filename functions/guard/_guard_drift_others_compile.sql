-- _recon.guard_drift_others_compile(): the triggers and functions a drift guard puts on the
-- other ledgers it sums.
CREATE OR REPLACE FUNCTION _recon.guard_drift_others_compile(
    p_id integer, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source,
    p_cols text[]
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_other _recon.ledger_source;
    v_n integer := 1;
    v_side text;
    v_triggers jsonb := '[]'::jsonb;
    v_functions jsonb := '[]'::jsonb;
    v_sides jsonb := '{}'::jsonb;
BEGIN
    -- A balance column that a balance check sums over several ledgers (entries and fees) is
    -- moved by a correct posting through any of them: each other ledger gets a row trigger
    -- (side ledger<n>, n from 2) adding its effects to the guard's sums, as the guard's own
    -- ledger does, and a TRUNCATE trigger.
    FOR v_other IN SELECT o.* FROM _recon.guard_drift_ledgers(p_ledger, p_cols) AS o LOOP
        v_n := v_n + 1;
        v_side := 'ledger' || v_n;
        PERFORM _recon.require_guard_shape(v_other, 'drift');
        IF v_other.parents IS NOT NULL OR v_other.kinds IS NOT NULL THEN
            PERFORM _recon.fail(
                'RC406', format('a drift guard on %s cannot sum ledger %s', p_ledger.name,
                                v_other.name),
                format('A balance check sums %s with %s on the same balance columns, and %s '
                       || 'reads parent rows or effects keyed on several columns: the guard '
                       || 'reads such a ledger per statement, as its own ledger only.',
                       v_other.name, p_ledger.name, v_other.name),
                format('Enable the drift guard on %s instead (it sums %s row by row), or guard '
                       || 'these balances with reconcile; docs/GUARDS.md "Several ledgers, '
                       || 'one balance column".', v_other.name, p_ledger.name));
        END IF;
        v_triggers := v_triggers || jsonb_build_array(jsonb_build_object(
            'table', v_other.relid::regclass::text,
            'trigger', format('recon_guard_%s_%s', p_id, v_side),
            'definition', format('AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW '
                                 || 'EXECUTE FUNCTION _recon.tg_drift_%s_%s()',
                                 v_other.relid::regclass, p_id, v_side)))
            || _recon.guard_truncate_trigger(v_other.relid, p_id, v_side, 'ledger');
        v_functions := v_functions || jsonb_build_array(jsonb_build_object(
            'function', format('_recon.tg_drift_%s_%s()', p_id, v_side),
            'definition', _recon.guard_drift_function(p_id, v_side, v_other, p_wallet, p_cols)));
        v_sides := v_sides || jsonb_build_object(v_side, v_other.relid);
    END LOOP;
    RETURN jsonb_build_object('triggers', v_triggers, 'functions', v_functions,
                              'sides', v_sides);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_others_compile(
    integer, _recon.ledger_source, _recon.wallet_source, text[]
) IS
'The part of _recon.guard_drift_compile for the other ledgers a drift guard sums '
'(_recon.guard_drift_ledgers): {"triggers", "functions", "sides"}, per ledger a row trigger '
'recon_guard_<id>_ledger<n> running a generated _recon.tg_drift_<id>_ledger<n>() that adds its '
'effects to the guard''s sums, a TRUNCATE trigger, and the relation behind side ledger<n> (for '
'_recon.guard_over_views). RC406 for a ledger read per statement (parent rows, several key '
'columns). Block mode''s type rule covers these ledgers too (_recon.guard_drift_compile).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_others_compile(
    integer, _recon.ledger_source, _recon.wallet_source, text[]
) FROM PUBLIC;
