-- recon.register_check(): compile a check once, to a view recon.check_<name>.
CREATE OR REPLACE FUNCTION recon.register_check(
    p_name text, p_kind text, p_options jsonb DEFAULT '{}'
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
AS $body$
DECLARE
    v_common text[] := ARRAY['tolerance', 'low_limit', 'high_wallets', 'critical_wallets',
                             'pattern_wallets', 'currency'];
    v_allowed text[];
    v_required text[];
    v_sql text;
    v_view name;
    v_wallet text;
    v_ledger text;
    v_key text;
    v_path text := pg_catalog.current_setting('search_path');
BEGIN
    PERFORM _recon.check_name('check', p_name);
    v_view := ('check_' || p_name)::name;
    CASE p_kind
        WHEN 'balance' THEN v_allowed := ARRAY['ledger', 'columns']; v_required := ARRAY['ledger'];
        WHEN 'derived' THEN
            v_allowed := ARRAY['wallet', 'column', 'table', 'key_column', 'value_column',
                               'minus_column', 'filter_column', 'filter_values',
                               'wallet_column'];
            v_required := ARRAY['wallet', 'column', 'table', 'key_column', 'value_column'];
        WHEN 'total' THEN v_allowed := ARRAY['stored', 'expected']; v_required := v_allowed;
        WHEN 'coverage' THEN
            v_allowed := ARRAY['wallet', 'owner_table', 'owner_key', 'owner_balance',
                               'wallet_column', 'exclude_column', 'exclude_values'];
            v_required := ARRAY['wallet', 'owner_table', 'owner_key'];
        WHEN 'duplicate' THEN v_allowed := ARRAY['ledger', 'scope']; v_required := ARRAY['ledger'];
        WHEN 'orphan' THEN
            v_allowed := ARRAY['ledger', 'table', 'id_column', 'amount_column', 'wallet_column',
                               'filters', 'like'];
            v_required := ARRAY['ledger', 'table', 'id_column', 'amount_column'];
        WHEN 'chain' THEN v_allowed := ARRAY['ledger', 'column']; v_required := ARRAY['ledger'];
        WHEN 'journal' THEN v_allowed := ARRAY['ledger']; v_required := ARRAY['ledger'];
        WHEN 'lifecycle' THEN
            v_allowed := ARRAY['ledger', 'hold', 'terminal', 'status_table', 'status_key',
                               'status_column', 'pending', 'max_pending'];
            v_required := ARRAY['ledger', 'hold', 'terminal'];
        WHEN 'custom' THEN v_allowed := ARRAY['query', 'wallet']; v_required := ARRAY['query'];
        ELSE
            PERFORM _recon.fail(
                'RC106', format('unknown check kind %L', p_kind),
                'Kinds: balance, derived, total, coverage, duplicate, orphan, chain, journal, '
                || 'lifecycle, custom.',
                'docs/CHECKS.md describes each kind with an example.'
            );
    END CASE;
    PERFORM _recon.check_options(format('%s check %s', p_kind, p_name), p_options,
                                 v_allowed || v_common, v_required);
    -- Thresholds: finite numbers, and counts that make sense (the table's constraints agree).
    FOREACH v_key IN ARRAY ARRAY['tolerance', 'low_limit', 'high_wallets', 'critical_wallets',
                                 'pattern_wallets'] LOOP
        IF p_options ? v_key AND (jsonb_typeof(p_options -> v_key) <> 'number'
                                  OR (p_options ->> v_key)::numeric < 0) THEN
            PERFORM _recon.fail(
                'RC106', format('%s must be a number >= 0', v_key),
                format('Got %s.', p_options -> v_key),
                'Amounts are in the check''s currency, e.g. {"tolerance": 0.01, "low_limit": 10}.'
            );
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY ARRAY['high_wallets', 'critical_wallets', 'pattern_wallets'] LOOP
        IF p_options ? v_key
            AND ((p_options ->> v_key)::numeric <> trunc((p_options ->> v_key)::numeric)
                 OR (p_options ->> v_key)::numeric > 2147483647) THEN
            PERFORM _recon.fail('RC106', format('%s must be a whole number up to 2147483647',
                                                v_key),
                                format('Got %s.', p_options -> v_key), 'It counts wallets.');
        END IF;
    END LOOP;
    IF COALESCE((p_options ->> 'high_wallets')::numeric, 2) < 2
        OR COALESCE((p_options ->> 'critical_wallets')::numeric, 10)
           <= COALESCE((p_options ->> 'high_wallets')::numeric, 2)
        OR COALESCE((p_options ->> 'pattern_wallets')::numeric, 5) < 2 THEN
        PERFORM _recon.fail(
            'RC106', 'inconsistent severity thresholds',
            'Need 2 <= high_wallets < critical_wallets, and pattern_wallets >= 2.',
            'The defaults are high_wallets 2, critical_wallets 10, pattern_wallets 5.'
        );
    END IF;
    IF EXISTS (SELECT FROM _recon.check_def AS c WHERE c.name = p_name)
        OR to_regclass(format('recon.%I', v_view)) IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC104', format('a check named %L already exists', p_name),
            format('recon.%I is taken.', v_view),
            'Pick another name, or recon.drop_check() the old one first.'
        );
    END IF;

    -- Table names resolve on the caller's search_path and are kept schema-qualified.
    p_options := _recon.qualify_tables(p_options);
    v_sql := CASE p_kind
        WHEN 'balance' THEN _recon.compile_balance(p_name, p_options)
        WHEN 'derived' THEN _recon.compile_derived(p_name, p_options)
        WHEN 'total' THEN _recon.compile_total(p_name, p_options)
        WHEN 'coverage' THEN _recon.compile_coverage(p_name, p_options)
        WHEN 'duplicate' THEN _recon.compile_duplicate(p_name, p_options)
        WHEN 'orphan' THEN _recon.compile_orphan(p_name, p_options)
        WHEN 'chain' THEN _recon.compile_chain(p_name, p_options)
        WHEN 'journal' THEN _recon.compile_journal(p_name, p_options)
        WHEN 'lifecycle' THEN _recon.compile_lifecycle(p_name, p_options)
        ELSE _recon.compile_custom(p_name, p_options)
    END;
    IF p_options ? 'ledger' THEN
        v_ledger := (_recon.check_ledgers(p_options))[1];
        v_wallet := (_recon.ledger(v_ledger)).wallet_source;
    ELSIF p_options ? 'wallet' THEN
        v_wallet := (_recon.wallet(p_options ->> 'wallet')).name;
    END IF;

    -- Our compiled SQL binds under a pinned path; a custom query is the user's own SQL and
    -- binds as they wrote it, on their path.
    IF p_kind <> 'custom' THEN
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', TRUE);
    END IF;
    BEGIN
        EXECUTE format('CREATE VIEW recon.%I AS %s', v_view, v_sql);
    EXCEPTION WHEN syntax_error OR undefined_column OR undefined_table OR undefined_function
        OR datatype_mismatch OR invalid_column_reference OR ambiguous_column THEN
        IF p_kind <> 'custom' THEN
            RAISE;  -- a bug of ours: let it through unchanged
        END IF;
        PERFORM _recon.fail(
            'RC110', format('custom check %s does not compile: %s', p_name, SQLERRM),
            'The query must return wallet_key, stored, expected, difference and details.',
            'Try the query in psql first; cast columns if need be.'
        );
    END;
    PERFORM pg_catalog.set_config('search_path', v_path, TRUE);
    IF p_kind = 'custom' THEN
        PERFORM _recon.custom_trusted(p_name, format('recon.%I', v_view)::regclass);
    END IF;
    EXECUTE format('COMMENT ON VIEW recon.%I IS %L', v_view, format(
        '%s check %s (wallet-recon): findings right now, one row each: check_name, wallet_key, '
        || 'stored, expected, difference, details. Options: %s', p_kind, p_name, p_options));
    EXECUTE format('REVOKE ALL ON recon.%I FROM PUBLIC', v_view);
    EXECUTE format('GRANT SELECT ON recon.%I TO recon_auditor, recon_operator', v_view);

    INSERT INTO _recon.check_def (
        name, kind, options, wallet_source, ledger_source, view_name, compiled_sql, currency,
        tolerance, low_limit, high_wallets, critical_wallets, pattern_wallets
    ) VALUES (
        p_name, p_kind, p_options, v_wallet, v_ledger, v_view, v_sql, p_options ->> 'currency',
        COALESCE((p_options ->> 'tolerance')::numeric, 0),
        COALESCE((p_options ->> 'low_limit')::numeric, 10),
        COALESCE((p_options ->> 'high_wallets')::integer, 2),
        COALESCE((p_options ->> 'critical_wallets')::integer, 10),
        COALESCE((p_options ->> 'pattern_wallets')::integer, 5)
    );
    PERFORM _recon.rebuild_discrepancies();
    RETURN recon.describe_check(p_name) - 'sql';
END;
$body$;

COMMENT ON FUNCTION recon.register_check(text, text, jsonb) IS
'Registers a check and compiles it once to the view recon.check_<name>, added to '
'recon.discrepancies. Kinds and their options: docs/CHECKS.md. Common options: tolerance, '
'low_limit, high_wallets, critical_wallets, pattern_wallets, currency. Errors: RC101-RC108, '
'RC110 (docs/SQLSTATES.md); nothing is registered on error. Needs the toolkit owner. Table '
'names resolve on your search_path, as in psql, and are stored schema-qualified.';

REVOKE EXECUTE ON FUNCTION recon.register_check(text, text, jsonb) FROM PUBLIC;
