-- recon.register_writer(): how recon.fix() posts into a registered ledger.
CREATE OR REPLACE FUNCTION recon.register_writer(ledger text, options jsonb DEFAULT '{}')
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
AS $body$
#variable_conflict use_column
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(register_writer.ledger);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_writer _recon.writer;
    v_fn regprocedure;
    v_exists boolean;
    v_key text;
    v_why text := _recon.ledger_writer_refusal(
        v_ledger, CASE WHEN register_writer.options ? 'function' THEN 'function' ELSE 'insert' END);
BEGIN
    -- Every shape repairs read is served (they measure and verify through the legs); an INSERT
    -- cannot write or check a parent row that a filter or effect rule reads.
    IF v_why IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC305', format('a writer cannot be set on ledger source %s: %s', register_writer.ledger, v_why),
            format('Ledger source %s reads %s with shape %s%s%s.', v_ledger.name,
                   v_ledger.relid::regclass, v_ledger.shape,
                   CASE WHEN v_ledger.parents IS NOT NULL
                        THEN ', parents ' || v_ledger.parents::text ELSE '' END,
                   CASE WHEN v_ledger.filters IS NOT NULL
                        THEN ', filters ' || v_ledger.filters::text ELSE '' END),
            CASE WHEN v_ledger.shape IN ('entries', 'transfer')
                 THEN 'Register a posting function instead ({"function": "schema.post(jsonb)"}): '
                      || 'it writes the row and its parent; the repair is verified through the '
                      || 'ledger''s legs (RC307 otherwise). docs/REPAIRS.md "Writers".'
                 ELSE 'Repair by hand or acknowledge the findings (docs/CHECKS.md "Ledger '
                      || 'shapes").' END);
    END IF;
    -- A float amount or running balance cannot hold what a repair posts exactly.
    IF _recon.float_refusal(v_ledger) IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC320', format('a writer cannot be set on ledger source %s: its %s', register_writer.ledger,
                            _recon.float_refusal(v_ledger)),
            'Repairs post exact amounts; a float column would round them.',
            'Make the column numeric, or an integer of minor units registered with a "scale" '
            || '(docs/CHECKS.md "Minor units"); until then repair by hand or acknowledge.');
    END IF;
    PERFORM _recon.check_options('writer for ' || register_writer.ledger, register_writer.options,
                                 ARRAY['function', 'columns', 'offset_wallet', 'reference',
                                       'description', 'journal', 'entry_types',
                                       'moves_balances']);
    FOREACH v_key IN ARRAY ARRAY['function', 'offset_wallet', 'reference', 'description',
                                 'journal'] LOOP
        IF register_writer.options ? v_key AND jsonb_typeof(register_writer.options -> v_key) <> 'string' THEN
            PERFORM _recon.fail('RC305', format('"%s" must be a string', v_key),
                                format('Got %s.', register_writer.options -> v_key), 'docs/REPAIRS.md.');
        END IF;
    END LOOP;
    IF register_writer.options ? 'columns' AND jsonb_typeof(register_writer.options -> 'columns') <> 'object' THEN
        PERFORM _recon.fail('RC305', '"columns" must be an object',
                            format('Got %s.', register_writer.options -> 'columns'),
                            'It maps a ledger column to a constant or template.');
    END IF;
    IF register_writer.options ? 'entry_types' AND (jsonb_typeof(register_writer.options -> 'entry_types') <> 'array'
        OR EXISTS (SELECT FROM jsonb_array_elements(register_writer.options -> 'entry_types') AS e
                   WHERE jsonb_typeof(e) <> 'string')) THEN
        PERFORM _recon.fail('RC305', '"entry_types" must be an array of strings',
                            format('Got %s.', register_writer.options -> 'entry_types'),
                            'E.g. ["topup", "withdrawal"]: preferred when several types fit.');
    END IF;
    PERFORM _recon.writer_moves_balances(register_writer.ledger, register_writer.options);
    IF register_writer.options ? 'function' THEN
        IF register_writer.options ? 'columns' THEN
            PERFORM _recon.fail('RC305', 'a writer has "function" or "columns", not both',
                                'A posting function writes its own rows.',
                                'Drop "columns", or drop "function" to use an INSERT.');
        END IF;
        BEGIN
            v_fn := (register_writer.options ->> 'function')::regprocedure;
        EXCEPTION WHEN undefined_function OR invalid_text_representation OR syntax_error
                       OR invalid_schema_name OR undefined_object THEN
            PERFORM _recon.fail(
                'RC305', format('unknown posting function %L', register_writer.options ->> 'function'),
                SQLERRM, 'Give it with its argument type, e.g. "ledger.post_recon(jsonb)".');
        END;
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_proc AS p
                       WHERE p.oid = v_fn AND p.prorettype = 'jsonb'::regtype
                         AND p.pronargs = 1 AND p.proargtypes[0] = 'jsonb'::regtype
                         AND p.prokind = 'f' AND NOT p.proretset) THEN
            PERFORM _recon.fail(
                'RC305', format('posting function %s has the wrong signature', v_fn),
                'A posting function takes the posting request and returns the entries: '
                || 'fn(request jsonb) RETURNS jsonb.', 'docs/REPAIRS.md describes the request.');
        END IF;
    END IF;
    -- an INSERT writer inserts into the ledger as registered: a view must take the INSERT
    -- (a simple view, or one with an INSTEAD OF INSERT trigger), or repairs would fail later
    IF NOT register_writer.options ? 'function'
       AND pg_catalog.pg_relation_is_updatable(v_ledger.relid, TRUE) & 8 = 0 THEN
        PERFORM _recon.fail(
            'RC312', format('ledger %s cannot take an INSERT writer', register_writer.ledger),
            format('%s is a %s that does not accept INSERT (a join, an aggregate, DISTINCT, a '
                   || 'UNION...: not automatically updatable, and no INSTEAD OF INSERT trigger).',
                   v_ledger.relid::regclass,
                   CASE (SELECT c.relkind FROM pg_catalog.pg_class AS c
                         WHERE c.oid = v_ledger.relid)
                        WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                        ELSE 'relation' END),
            'Register a posting function ({"function": "schema.post(jsonb)"}) that writes the '
            || 'base tables, or register the ledger on its base table; docs/REPAIRS.md.');
    END IF;
    IF register_writer.options ? 'offset_wallet' THEN
        EXECUTE format('SELECT EXISTS (SELECT FROM %s AS w WHERE w.%I::text = $1)',
                       v_wallet.relid::regclass, v_wallet.key_column)
        INTO v_exists USING register_writer.options ->> 'offset_wallet';
        IF NOT v_exists THEN
            PERFORM _recon.fail(
                'RC305', format('offset wallet %L is not in %s', register_writer.options ->> 'offset_wallet',
                                v_wallet.relid::regclass),
                'Double-entry repairs post their other side to this wallet.',
                'Create the system wallet first (seed 003 calls it ''system'').');
        END IF;
    END IF;
    -- a transfer row moves two wallets: a repair posts from or to the offset wallet (an
    -- INSERT writer one row, a posting function as it likes; conservation checks both)
    IF v_ledger.shape = 'transfer' AND NOT register_writer.options ? 'offset_wallet' THEN
        PERFORM _recon.fail(
            'RC305', format('a writer for transfer ledger %s needs an "offset_wallet"', register_writer.ledger),
            'A repair on a transfer ledger is one row between the wallet and the offset wallet.',
            'E.g. {"offset_wallet": "world"}: the system wallet repairs move money from and to.');
    END IF;
    IF register_writer.options ? 'journal' AND v_ledger.journal_column IS NULL THEN
        PERFORM _recon.fail('RC305', format('ledger %s has no journal column', register_writer.ledger),
                            'A journal template fills the ledger''s journal column.',
                            'Register the ledger with {"journal": "<column>"}, or drop it here.');
    END IF;
    -- (a transfer row is its own journal: both legs are the one row, balanced by construction)
    IF register_writer.options ? 'offset_wallet' AND NOT register_writer.options ? 'function' AND v_ledger.journal_column
        IS NOT NULL AND NOT register_writer.options ? 'journal' AND v_ledger.shape = 'entries' THEN
        PERFORM _recon.fail(
            'RC305', 'a double-entry writer needs a "journal" template',
            'Both sides of a posting share one journal id, so the journal check sees them '
            || 'balance.', 'E.g. "journal": "recon-{uuid}".');
    END IF;

    v_writer := ROW(
        register_writer.ledger,
        CASE WHEN register_writer.options ? 'function' THEN 'function' ELSE 'insert' END,
        COALESCE(register_writer.options -> 'columns', '{}'),
        v_fn,
        register_writer.options ->> 'offset_wallet',
        COALESCE(register_writer.options ->> 'reference', 'RECON-{date}-{ticket}-{fix}.{step}'),
        COALESCE(register_writer.options ->> 'description', 'wallet-recon {strategy} ({ticket}): {reason}'),
        register_writer.options ->> 'journal',
        ARRAY(SELECT jsonb_array_elements_text(COALESCE(register_writer.options -> 'entry_types', '[]'))),
        register_writer.options, now(), session_user
    )::_recon.writer;
    -- Compile what it will run now, so that a bad mapping fails here and not mid-repair.
    PERFORM _recon.template_sql(v_writer.reference, 'reference');
    PERFORM _recon.template_sql(v_writer.description, 'description');
    IF v_writer.journal IS NOT NULL THEN
        PERFORM _recon.template_sql(v_writer.journal, 'journal');
    END IF;
    IF v_writer.kind = 'insert' THEN
        PERFORM _recon.writer_insert_sql(v_writer);
    END IF;
    INSERT INTO _recon.writer VALUES (v_writer.*)
    ON CONFLICT (ledger_source) DO UPDATE
    SET kind = excluded.kind, column_map = excluded.column_map,
        posting_function = excluded.posting_function,
        offset_wallet = excluded.offset_wallet, reference = excluded.reference,
        description = excluded.description, journal = excluded.journal,
        entry_types = excluded.entry_types, options = excluded.options,
        created_at = excluded.created_at, created_by = excluded.created_by;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'ledger', register_writer.ledger, 'kind', v_writer.kind, 'function', v_fn::text,
        'offset_wallet', v_writer.offset_wallet, 'reference', v_writer.reference,
        'journal', v_writer.journal,
        'moves_balances', CASE WHEN _recon.writer_moves_balances(register_writer.ledger, register_writer.options) THEN TRUE
                          END));
END;
$body$;

COMMENT ON FUNCTION recon.register_writer(text, jsonb) IS
'Registers (or replaces) how recon.fix() posts into a ledger: {"columns": {column: constant or '
'template}} for an INSERT (the ledger''s registered columns are filled by the toolkit), or '
'{"function": "schema.fn(jsonb)"} for your own posting function; "offset_wallet" for double '
'entry, "reference", "description" and "journal" templates, "entry_types" to prefer, '
'"moves_balances": true for a ledger-first posting function (it moves the stored balances and '
'running balances itself; the toolkit does not, and checks what it moved). Serves '
'one-sided and transfer rows with filters, parent rows, effects keyed on several columns and '
'running balances per column (repairs verify through the legs); an INSERT writer is refused '
'where a filter or effect rule reads a parent row. Errors: RC107 unknown ledger, RC106 unknown '
'option, RC305 bad mapping (or an INSERT on parent rows: use a posting function), RC312 an '
'INSERT writer on a view that takes no INSERT, RC320 a float amount or running balance. Needs '
'the toolkit owner. '
'docs/REPAIRS.md.';

REVOKE EXECUTE ON FUNCTION recon.register_writer(text, jsonb) FROM PUBLIC;
