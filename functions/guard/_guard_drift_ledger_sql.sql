-- _recon.guard_drift_ledger_sql(): the body of a drift guard's ledger row trigger function.
CREATE OR REPLACE FUNCTION _recon.guard_drift_ledger_sql(
    p_id integer, p_ledger _recon.ledger_source, p_cols text[], p_exact boolean, p_first text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_setting text := format('wallet_recon.drift_%s', p_id);
    v_warn boolean := NOT EXISTS (SELECT FROM _recon.guard AS g
                                  WHERE g.id = p_id AND g.mode = 'block');
    -- a transfer row writes two records per column: then (and with several columns) the
    -- setting is written once, at the end of the branch (warn mode)
    v_many boolean := cardinality(p_cols) > 1 OR p_ledger.shape = 'transfer';
    v_ins text[] := ARRAY[]::text[];
    v_del text[] := ARRAY[]::text[];
    v_legs text[] := ARRAY[]::text[];
    v_leg name;
    v_side text;
    v_r jsonb;
    v_same text;
BEGIN
    -- each leg's effects (the entry, or both sides of a transfer row), negated for an entry
    -- deleted or replaced; zero for a row the entry filters do not keep
    FOR v_leg, v_side IN
        SELECT x.c, x.s FROM (VALUES (1, p_ledger.wallet_column, NULL::text),
                                     (2, p_ledger.debit_wallet_column, 'debit'),
                                     (3, p_ledger.credit_wallet_column, 'credit'))
            AS x (o, c, s)
        WHERE x.c IS NOT NULL ORDER BY x.o
    LOOP
        v_r := _recon.guard_drift_leg_records(p_id, p_ledger, p_cols, v_leg, v_side, p_exact,
                                              p_first, NOT v_many);
        v_ins := v_ins || ARRAY(SELECT jsonb_array_elements_text(v_r -> 'insert'));
        v_del := v_del || ARRAY(SELECT jsonb_array_elements_text(v_r -> 'delete'));
        v_same := format('%s OPERATOR(pg_catalog.=) %s',
                         _recon.guard_text_sql(_recon.column_type(p_ledger.relid, v_leg),
                                               format('new.%I', v_leg)),
                         _recon.guard_text_sql(_recon.column_type(p_ledger.relid, v_leg),
                                               format('old.%I', v_leg)));
        -- a transfer row's UPDATE, per leg: the same wallet or another one
        v_legs := v_legs || _recon.template_fill(
$t$IF {{same_wallet}} THEN
    {{update}}
ELSE
    {{move}}
END IF;$t$,
            jsonb_build_object(
                'same_wallet', v_same,
                'update', _recon.guard_drift_branch_sql(
                    ARRAY(SELECT jsonb_array_elements_text(v_r -> 'update')), v_setting, FALSE),
                'move', _recon.guard_drift_branch_sql(
                    ARRAY(SELECT jsonb_array_elements_text(v_r -> 'move')), v_setting, FALSE)));
    END LOOP;
    IF p_ledger.shape = 'transfer' THEN
        RETURN _recon.template_fill(
$t$IF tg_op OPERATOR(pg_catalog.=) 'INSERT' THEN
    {{insert}}
ELSIF tg_op OPERATOR(pg_catalog.=) 'DELETE' THEN
    {{delete}}
ELSE
    {{legs}}
END IF;$t$,
            jsonb_build_object(
                'insert', _recon.guard_drift_branch_sql(v_ins, v_setting, v_warn),
                'delete', _recon.guard_drift_branch_sql(v_del, v_setting, v_warn),
                -- both legs, the setting written once at the end
                'legs', _recon.guard_drift_branch_sql(v_legs, v_setting, v_warn)));
    END IF;
    -- one leg: the UPDATE's two cases are branches of the same IF
    RETURN _recon.template_fill(
$t$IF tg_op OPERATOR(pg_catalog.=) 'INSERT' THEN
    {{insert}}
ELSIF tg_op OPERATOR(pg_catalog.=) 'DELETE' THEN
    {{delete}}
ELSIF {{same_wallet}} THEN
    {{update}}
ELSE
    {{move}}
END IF;$t$,
        jsonb_build_object(
            'insert', _recon.guard_drift_branch_sql(v_ins, v_setting, v_warn AND v_many),
            'delete', _recon.guard_drift_branch_sql(v_del, v_setting, v_warn AND v_many),
            'same_wallet', v_same,
            'update', _recon.guard_drift_branch_sql(
                ARRAY(SELECT jsonb_array_elements_text(v_r -> 'update')), v_setting,
                v_warn AND v_many),
            'move', _recon.guard_drift_branch_sql(
                ARRAY(SELECT jsonb_array_elements_text(v_r -> 'move')), v_setting, v_warn)));
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_ledger_sql(
    integer, _recon.ledger_source, text[], boolean, text
) IS
'The body of drift guard p_id''s ledger row trigger function (for _recon.guard_drift_function): '
'per case (INSERT, DELETE, UPDATE: per leg, the same wallet or another one) the records of '
'each leg''s effects on the balance columns p_cols (_recon.guard_drift_leg_records). p_exact: '
'amounts print alike untrimmed; p_first: the mark of a queued check (warn mode).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_ledger_sql(
    integer, _recon.ledger_source, text[], boolean, text
) FROM PUBLIC;
