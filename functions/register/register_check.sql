-- recon.register_check(): compile a check once, to a view recon.check_<name>.
CREATE OR REPLACE FUNCTION recon.register_check(
    name text, kind text, options jsonb DEFAULT '{}'
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
AS $body$
#variable_conflict use_column
DECLARE
    v_common text[] := ARRAY['tolerance', 'low_limit', 'high_wallets', 'critical_wallets',
                             'pattern_wallets', 'currency'];
    v_kind _recon.check_kind;
    v_sql text;
    v_view name;
    v_wallet text;
    v_ledger text;
    v_key text;
    v_per_row text;
    v_path text := pg_catalog.current_setting('search_path');
BEGIN
    PERFORM _recon.check_name('check', register_check.name);
    v_view := ('check_' || register_check.name)::name;
    -- The kind's options, compiler and all come from its row in the registry.
    v_kind := _recon.kind(register_check.kind);
    PERFORM _recon.check_options(format('%s check %s', register_check.kind, register_check.name), register_check.options,
                                 v_kind.options || v_common, v_kind.required);
    IF register_check.options ? 'currency' AND (jsonb_typeof(register_check.options -> 'currency') <> 'string'
                                   OR btrim(register_check.options ->> 'currency') = '') THEN
        PERFORM _recon.fail('RC106', 'currency must be a currency code',
                            format('Got %s.', register_check.options -> 'currency'),
                            'E.g. {"currency": "USD"}: the currency of rows that carry none.');
    END IF;
    -- Amounts per currency (tolerance, low_limit): a map, or one amount in the check's own
    -- currency. Where each row has its own currency (the wallet's currency column, the
    -- entry's currency option), one amount without a currency option is refused.
    IF register_check.options ? 'ledger' THEN
        v_ledger := (_recon.check_ledgers(register_check.options))[1];
        v_wallet := (_recon.ledger(v_ledger)).wallet_source;
    ELSIF register_check.options ? 'wallet' THEN
        v_wallet := (_recon.wallet(register_check.options ->> 'wallet')).name;
    END IF;
    v_per_row := _recon.check_row_currency(register_check.kind, v_ledger, v_wallet);
    FOREACH v_key IN ARRAY ARRAY['tolerance', 'low_limit'] LOOP
        IF register_check.options ? v_key THEN
            register_check.options := jsonb_set(register_check.options, ARRAY[v_key], _recon.currency_amounts(
                v_key, register_check.options -> v_key, register_check.options ->> 'currency', v_per_row, 'RC106'));
        END IF;
    END LOOP;
    -- Thresholds: counts that make sense (the table's constraints agree).
    FOREACH v_key IN ARRAY ARRAY['high_wallets', 'critical_wallets', 'pattern_wallets'] LOOP
        IF register_check.options ? v_key AND (jsonb_typeof(register_check.options -> v_key) <> 'number'
                                  OR (register_check.options ->> v_key)::numeric < 0) THEN
            PERFORM _recon.fail(
                'RC106', format('%s must be a whole number >= 0', v_key),
                format('Got %s.', register_check.options -> v_key),
                'A count of wallets, e.g. {"high_wallets": 3}.'
            );
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY ARRAY['high_wallets', 'critical_wallets', 'pattern_wallets'] LOOP
        IF register_check.options ? v_key
            AND ((register_check.options ->> v_key)::numeric <> trunc((register_check.options ->> v_key)::numeric)
                 OR (register_check.options ->> v_key)::numeric > 2147483647) THEN
            PERFORM _recon.fail('RC106', format('%s must be a whole number up to 2147483647',
                                                v_key),
                                format('Got %s.', register_check.options -> v_key), 'It counts wallets.');
        END IF;
    END LOOP;
    IF COALESCE((register_check.options ->> 'high_wallets')::numeric, 2) < 2
        OR COALESCE((register_check.options ->> 'critical_wallets')::numeric, 10)
           <= COALESCE((register_check.options ->> 'high_wallets')::numeric, 2)
        OR COALESCE((register_check.options ->> 'pattern_wallets')::numeric, 5) < 2 THEN
        PERFORM _recon.fail(
            'RC106', 'inconsistent severity thresholds',
            'Need 2 <= high_wallets < critical_wallets, and pattern_wallets >= 2.',
            'The defaults are high_wallets 2, critical_wallets 10, pattern_wallets 5.'
        );
    END IF;
    IF EXISTS (SELECT FROM _recon.check_def AS c WHERE c.name = register_check.name)
        OR to_regclass(format('recon.%I', v_view)) IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC104', format('a check named %L already exists', register_check.name),
            format('recon.%I is taken.', v_view),
            'Pick another name, or recon.drop_check() the old one first.'
        );
    END IF;

    -- Table names resolve on the caller's search_path and are kept schema-qualified.
    register_check.options := _recon.qualify_tables(register_check.options);
    v_sql := _recon.compile_check(v_kind, register_check.name, register_check.options);

    -- Our compiled SQL binds under a pinned path; a custom query is the user's own SQL and
    -- binds as they wrote it, on their path.
    IF NOT v_kind.user_query THEN
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', TRUE);
    END IF;
    BEGIN
        EXECUTE format('CREATE VIEW recon.%I AS %s', v_view, v_sql);
    EXCEPTION WHEN syntax_error OR undefined_column OR undefined_table OR undefined_function
        OR datatype_mismatch OR invalid_column_reference OR ambiguous_column THEN
        IF NOT v_kind.user_query THEN
            RAISE;  -- a bug of ours: let it through unchanged
        END IF;
        PERFORM _recon.fail(
            'RC110', format('custom check %s does not compile: %s', register_check.name, SQLERRM),
            'The query must return wallet_key, stored, expected, difference and details.',
            'Try the query in psql first; cast columns if need be.'
        );
    END;
    PERFORM pg_catalog.set_config('search_path', v_path, TRUE);
    IF v_kind.user_query THEN
        PERFORM _recon.custom_trusted(register_check.name, format('recon.%I', v_view)::regclass);
    END IF;
    EXECUTE format('COMMENT ON VIEW recon.%I IS %L', v_view, format(
        '%s check %s (wallet-recon): findings right now, one row each: check_name, wallet_key, '
        || 'stored, expected, difference, details. Options: %s', register_check.kind, register_check.name, register_check.options));
    EXECUTE format('REVOKE ALL ON recon.%I FROM PUBLIC', v_view);
    EXECUTE format('GRANT SELECT ON recon.%I TO recon_auditor, recon_operator', v_view);

    INSERT INTO _recon.check_def (
        name, kind, options, wallet_source, ledger_source, view_name, compiled_sql, currency,
        tolerance, low_limit, high_wallets, critical_wallets, pattern_wallets
    ) VALUES (
        register_check.name, register_check.kind, register_check.options, v_wallet, v_ledger, v_view, v_sql, register_check.options ->> 'currency',
        COALESCE(register_check.options -> 'tolerance', '{}'),
        -- without one: 10 in the check's currency, or under "*" when nothing of the check
        -- carries a currency (as 0.1); none when its rows each carry theirs and it names none
        COALESCE(register_check.options -> 'low_limit',
                 CASE WHEN register_check.options ? 'currency'
                      THEN jsonb_build_object(register_check.options ->> 'currency', 10)
                      WHEN v_per_row IS NULL THEN '{"*": 10}'::jsonb
                      ELSE '{}'::jsonb END),
        COALESCE((register_check.options ->> 'high_wallets')::integer, 2),
        COALESCE((register_check.options ->> 'critical_wallets')::integer, 10),
        COALESCE((register_check.options ->> 'pattern_wallets')::integer, 5)
    );
    -- a balance check can change the ledgers a drift guard sums: it follows, or RC411
    PERFORM _recon.guard_follow_checks(register_check.name, v_wallet)
    WHERE register_check.kind = 'balance';
    RETURN recon.describe_check(register_check.name) - 'sql';
END;
$body$;

COMMENT ON FUNCTION recon.register_check(text, text, jsonb) IS
'Registers a check and compiles it once to the view recon.check_<name>, added to '
'recon.discrepancies. Kinds and their options: recon.kinds (the registry '
'_recon.check_kind), docs/CHECKS.md. Common options: tolerance, low_limit, high_wallets, '
'critical_wallets, pattern_wallets, currency; tolerance and low_limit are amounts per currency '
'({"USD": 10, "JPY": 1000, "*": 5}) or one amount in the check''s currency. Errors: '
'RC101-RC108, RC110, RC411 (a drift guard summing its ledgers must be enabled again and '
'cannot be here; docs/SQLSTATES.md); '
'nothing is registered on error. Needs the toolkit owner. Table names resolve on your '
'search_path, as in psql, and are stored schema-qualified.';

REVOKE EXECUTE ON FUNCTION recon.register_check(text, text, jsonb) FROM PUBLIC;
