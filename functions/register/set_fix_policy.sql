-- recon.set_fix_policy(): how recon.fix() repairs one check's findings by default.
CREATE OR REPLACE FUNCTION recon.set_fix_policy(check_name text, options jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_column
DECLARE
    v_check _recon.check_def := _recon."check"(set_fix_policy.check_name);
    v_allowed text[] := _recon.fix_strategies(v_check.kind);
    v_strategy text;
    v_key text;
BEGIN
    PERFORM _recon.check_options('fix policy of ' || set_fix_policy.check_name, set_fix_policy.options,
                                 ARRAY['strategy', 'wallet_limit', 'run_limit', 'column',
                                       'from_column']);
    v_strategy := COALESCE(set_fix_policy.options ->> 'strategy', v_allowed[1]);
    IF v_strategy <> ALL (v_allowed) THEN
        PERFORM _recon.fail('RC304', format('strategy %L does not repair %s findings', v_strategy,
                                            v_check.kind),
                            format('For %s checks: %s.', v_check.kind,
                                   array_to_string(v_allowed, ', ')),
                            'docs/REPAIRS.md explains each strategy.');
    END IF;
    -- Amounts per currency: a map, or one amount in the check's own currency (refused where
    -- the check's rows each carry a currency and it names none).
    FOREACH v_key IN ARRAY ARRAY['wallet_limit', 'run_limit'] LOOP
        IF set_fix_policy.options ? v_key AND set_fix_policy.options -> v_key <> 'null' THEN
            set_fix_policy.options := jsonb_set(set_fix_policy.options, ARRAY[v_key], _recon.currency_amounts(
                v_key, set_fix_policy.options -> v_key, v_check.currency,
                _recon.check_row_currency(v_check.kind, v_check.ledger_source,
                                          v_check.wallet_source), 'RC302'));
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY ARRAY['column', 'from_column'] LOOP
        IF set_fix_policy.options ? v_key AND (SELECT (set_fix_policy.options ->> v_key) <> ALL (w.balance_columns)
                                  FROM _recon.wallet_source AS w
                                  WHERE w.name = v_check.wallet_source) IS NOT FALSE THEN
            PERFORM _recon.fail('RC102', format('%L is not a balance column of %s',
                                                set_fix_policy.options ->> v_key, v_check.wallet_source),
                                format('"%s" names the balance column the repair moves.', v_key),
                                'SELECT * FROM recon.sources; lists the balance columns.');
        END IF;
    END LOOP;
    INSERT INTO _recon.fix_policy AS p (check_name, strategy, wallet_limit, run_limit, options)
    VALUES (set_fix_policy.check_name, v_strategy, NULLIF(set_fix_policy.options -> 'wallet_limit', 'null'),
            NULLIF(set_fix_policy.options -> 'run_limit', 'null'), set_fix_policy.options)
    ON CONFLICT (check_name) DO UPDATE
    SET strategy = excluded.strategy, wallet_limit = excluded.wallet_limit,
        run_limit = excluded.run_limit, options = excluded.options, set_at = now(),
        set_by = session_user;
    -- the strategy it will use, also when the options name none (or null)
    RETURN set_fix_policy.options || jsonb_build_object('check', set_fix_policy.check_name, 'strategy', v_strategy);
END;
$body$;

COMMENT ON FUNCTION recon.set_fix_policy(text, jsonb) IS
'Sets how recon.fix() repairs a check''s findings: {"strategy": ..., "wallet_limit": '
'amounts, "run_limit": amounts, "column": balance column (orphan), "from_column": the other '
'column (derived move)}. Amounts are per currency ({"USD": 500, "JPY": 50000, "*": 10}: "*" '
'for every currency not named) or one amount in the check''s currency. Without a policy a '
'check gets its kind''s default strategy and its low_limit as wallet_limit; a currency with no '
'limit gets no automatic repair. Errors: RC107 unknown check, RC106 unknown option, RC304 '
'strategy not for this kind, RC302 bad limit (also one amount for a check whose wallets or '
'entries each carry a currency), RC102 not a balance column. Needs the toolkit owner.';

REVOKE EXECUTE ON FUNCTION recon.set_fix_policy(text, jsonb) FROM PUBLIC;
