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
BEGIN
    -- Every shape repairs read is served (they measure and verify through the legs); an INSERT
    -- cannot write or check a parent row that a filter or effect rule reads. A float amount or
    -- running balance cannot hold what a repair posts exactly.
    PERFORM _recon.writer_check_ledger(register_writer.ledger, v_ledger, register_writer.options);
    PERFORM _recon.writer_check_options(register_writer.ledger, register_writer.options);
    PERFORM _recon.writer_moves_balances(register_writer.ledger, register_writer.options);
    IF register_writer.options ? 'function' THEN
        v_fn := _recon.writer_posting_function(register_writer.options);
    END IF;
    -- the relation takes an INSERT, the offset wallet exists, journals are filled
    PERFORM _recon.writer_check_target(register_writer.ledger, v_ledger, v_wallet,
                                       register_writer.options);

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
