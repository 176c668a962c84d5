-- _recon.backfill_target(): what a backfill needs, checked: its ledger, writer and templates.
CREATE OR REPLACE FUNCTION _recon.backfill_target(
    p_check _recon.check_def, p_wallet_key text, p_wallet_columns jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source;
    v_owner_rel oid;
    v_owner_col text;
    v_ledger _recon.ledger_source;
    v_writer _recon.writer;
    v_col text;
    v_key_sql text;
    v_key_type text;
    v_cols text := '';
    v_vals text := '';
    v_name text;
    v_value jsonb;
BEGIN
    -- a coverage check, a ledger of that wallet source with a double-entry writer (the opening
    -- entries are balanced against its offset wallet)
    IF p_check.kind <> 'coverage' THEN
        PERFORM _recon.fail('RC309', format('%s is a %s check, not a coverage check',
                                            p_check.name, p_check.kind),
                            'A backfill creates the wallets a coverage check finds missing.',
                            'Name a coverage check (SELECT name FROM recon.checks WHERE kind = '
                            || '''coverage'').');
    END IF;
    v_ws := _recon.wallet(p_check.wallet_source);
    v_owner_rel := _recon.resolve_table(p_check.options ->> 'owner_table');
    v_owner_col := COALESCE(p_check.options ->> 'wallet_column', v_ws.owner_column);
    SELECT l.* INTO v_ledger FROM _recon.ledger_source AS l
    JOIN _recon.writer AS w ON w.ledger_source = l.name AND w.offset_wallet IS NOT NULL
    WHERE l.wallet_source = v_ws.name ORDER BY l.name LIMIT 1;
    IF v_ledger.name IS NULL THEN
        PERFORM _recon.fail(
            'RC309', format('wallet source %s has no ledger with a double-entry writer',
                            v_ws.name),
            'Opening balances are posted against a system offset account.',
            'recon.register_writer(<ledger>, ''{"offset_wallet": "system", ...}'').');
    END IF;
    SELECT w.* INTO v_writer FROM _recon.writer AS w WHERE w.ledger_source = v_ledger.name;
    SELECT b INTO v_col FROM unnest(v_ws.balance_columns) AS b WHERE v_ledger.effects ? b LIMIT 1;
    -- the new wallets' key template and other columns
    IF jsonb_typeof(p_wallet_columns) IS DISTINCT FROM 'object' THEN
        PERFORM _recon.fail('RC309', 'wallet_columns must be a JSON object',
                            format('Got %s.', p_wallet_columns),
                            'It maps a wallet column to a template, e.g. {"status": "active"}.');
    END IF;
    v_key_sql := _recon.template_sql(p_wallet_key, 'the new wallet key', 'x.j');
    v_key_type := _recon.column_type_sql(v_ws.relid, v_ws.key_column);
    FOR v_name, v_value IN SELECT m.key, m.value FROM jsonb_each(p_wallet_columns) AS m LOOP
        IF jsonb_typeof(v_value) <> 'string'
            OR v_name IN (v_ws.key_column, v_owner_col) OR v_name = ANY (v_ws.balance_columns) THEN
            PERFORM _recon.fail('RC309', format('bad wallet column %L', v_name),
                                'Key, owner and balances are the toolkit''s; values are strings.',
                                'Map the other columns, e.g. {"status": "active"}.');
        END IF;
        v_cols := v_cols || ', ' || quote_ident(
            _recon.resolve_column(v_ws.relid, v_name, 'a new wallet column'));
        v_vals := v_vals || format(', %s::%s',
                                   _recon.template_sql(v_value #>> '{}', 'column ' || v_name,
                                                       'x.j'),
                                   _recon.column_type_sql(v_ws.relid, v_name));
    END LOOP;
    RETURN jsonb_build_object(
        'ledger', v_ledger.name, 'column', v_col, 'offset_wallet', v_writer.offset_wallet,
        'owner_table', v_owner_rel, 'owner_column', v_owner_col, 'key_sql', v_key_sql,
        'key_type', v_key_type, 'columns', v_cols, 'values', v_vals);
END;
$body$;

COMMENT ON FUNCTION _recon.backfill_target(_recon.check_def, text, jsonb) IS
'Phase 1 of recon.backfill: checks that p_check is a coverage check whose wallet source has a '
'ledger with a double-entry writer, and that the new wallets'' key template (p_wallet_key) and '
'other columns (p_wallet_columns) are good (RC309 otherwise). Returns what the later phases '
'use: {"ledger", "column" (the balance column it posts to), "offset_wallet", "owner_table" '
'(oid), "owner_column", "key_sql", "key_type", "columns", "values" (SQL fragments)}.';

REVOKE EXECUTE ON FUNCTION _recon.backfill_target(_recon.check_def, text, jsonb) FROM PUBLIC;
