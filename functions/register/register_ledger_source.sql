-- recon.register_ledger_source(): register an entries table and how each entry moves balances.
CREATE OR REPLACE FUNCTION recon.register_ledger_source(
    name text,
    wallet_source text,
    relation text,
    wallet_column text,
    amount_column text,
    options jsonb DEFAULT '{}'
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
AS $body$
#variable_conflict use_column
DECLARE
    v_wallet _recon.wallet_source;
    v_relid oid;
    v_mode text;
    v_effects jsonb;
    v_optional jsonb;
    v_shape text := 'entries';
    v_parents jsonb;
    v_filters jsonb;
    v_kinds jsonb;
    v_after jsonb;
    v_legs jsonb;
    v_scale jsonb;
BEGIN
    PERFORM _recon.source_name_free('ledger source', register_ledger_source.name);
    PERFORM _recon.check_options('ledger source ' || register_ledger_source.name, register_ledger_source.options, ARRAY[
        'direction', 'credit', 'debit', 'operation', 'effects', 'balance_column', 'entry_id',
        'reference', 'posted_at', 'order_by', 'balance_after', 'version', 'journal', 'status',
        'filters', 'parents', 'currency', 'scale'
    ] || ARRAY(SELECT g ->> 'option' FROM _recon.ledger_shape AS s,
                                         jsonb_array_elements(s.legs) AS g
               WHERE g ->> 'option' IS NOT NULL ORDER BY 1));
    v_wallet := _recon.wallet(register_ledger_source.wallet_source);
    v_relid := _recon.resolve_table(register_ledger_source.relation);
    -- The shape, and the wallet column of each leg (_recon.ledger_shape).
    v_legs := _recon.ledger_legs(v_relid, v_wallet, register_ledger_source.wallet_column, register_ledger_source.options);
    v_shape := v_legs ->> 'shape';
    PERFORM _recon.resolve_column(v_relid, register_ledger_source.amount_column, 'the amount', TRUE);
    IF register_ledger_source.options ? 'parents' THEN
        v_parents := _recon.ledger_parents(v_relid, register_ledger_source.options -> 'parents');
    END IF;
    IF register_ledger_source.options ? 'filters' THEN
        v_filters := _recon.ledger_filters(v_relid, v_parents, register_ledger_source.options -> 'filters');
    END IF;

    -- How an entry moves balances: signed amount, amount + direction, or operation effects.
    SELECT m.p_mode, m.p_effects, m.p_kinds INTO v_mode, v_effects, v_kinds
    FROM _recon.ledger_mode(v_relid, v_wallet, v_parents, v_legs,
                            register_ledger_source.options) AS m;

    -- Optional columns, each checked against the catalog.
    -- A running balance per balance column (a map) is checked per column; a single column
    -- (0.1's form) follows the column the chain check names.
    IF jsonb_typeof(register_ledger_source.options -> 'balance_after') = 'object' THEN
        v_after := _recon.ledger_after(v_relid, v_wallet, v_effects, register_ledger_source.options -> 'balance_after');
        register_ledger_source.options := register_ledger_source.options - 'balance_after';
    END IF;
    v_optional := _recon.ledger_optional(v_relid, v_parents, register_ledger_source.options);

    -- Minor units: the amount (and running balances) as integers with a scale.
    v_scale := _recon.scale_option(
        v_relid, register_ledger_source.options -> 'scale', 'ledger source ' || register_ledger_source.name,
        ARRAY[register_ledger_source.amount_column::name] || ARRAY(
            SELECT DISTINCT c::name FROM (
                SELECT v_optional ->> 'balance_after' AS c
                UNION ALL SELECT a.value #>> '{}' FROM jsonb_each(v_after) AS a) AS u
            WHERE c IS NOT NULL));

    INSERT INTO _recon.ledger_source (
        name, wallet_source, relid, wallet_column, amount_column, amount_mode, effects,
        direction_column, operation_column, entry_id_column, reference_column, posted_at_column,
        order_column, balance_after_column, version_column, journal_column, status_column,
        shape, leg_columns, filters, parents, kinds, after_columns, currency_column, amount_scale
    ) VALUES (
        register_ledger_source.name, v_wallet.name, v_relid, register_ledger_source.wallet_column, register_ledger_source.amount_column, v_mode, v_effects,
        register_ledger_source.options ->> 'direction', CASE WHEN v_kinds IS NULL THEN register_ledger_source.options ->> 'operation' END,
        v_optional ->> 'entry_id',
        v_optional ->> 'reference', v_optional ->> 'posted_at', v_optional ->> 'order_by',
        v_optional ->> 'balance_after', v_optional ->> 'version', v_optional ->> 'journal',
        v_optional ->> 'status', v_shape, v_legs -> 'legs', v_filters, v_parents, v_kinds,
        v_after, v_optional ->> 'currency', v_scale
    );
    -- incremental mode sees an UPDATE or DELETE of an old entry through this trigger (0024)
    IF v_optional ->> 'order_by' IS NOT NULL THEN
        PERFORM _recon.ledger_write_install(v_relid, v_optional ->> 'order_by');
    END IF;
    RETURN jsonb_build_object(
        'ledger_source', register_ledger_source.name, 'wallet_source', v_wallet.name,
        'table', v_relid::regclass::text, 'mode', v_mode, 'effects', v_effects, 'shape', v_shape
    ) || v_optional || jsonb_strip_nulls(jsonb_build_object(
        'legs', v_legs -> 'legs', 'filters', v_filters, 'parents', v_parents, 'rules', v_kinds -> 'rules',
        'balance_after', v_after, 'scale', v_scale));
END;
$body$;

COMMENT ON FUNCTION recon.register_ledger_source(text, text, text, text, text, jsonb) IS
'Registers a ledger (entries) table for a wallet source: name, wallet source, table, wallet key '
'column, amount column, and options: "direction" (+ "credit"/"debit" values) or "operation" + '
'"effects" ({"ON_HOLD": {"available": -1, "on_hold": 1}, ...}); "balance_column" (which balance a '
'signed or direction ledger moves; default the first); optional columns "entry_id", "reference", '
'"posted_at", "order_by", "balance_after" (a column, or {balance column: column}), "version", '
'"journal", "status", "currency" (each entry''s currency, a column of the ledger or of a parent '
'row); "scale" when the amount (and running balances) are integers of minor units: decimal places '
'(2), {"multiplier": 100}, or per row {"column": c, "as": "places"|"multiplier"} (docs/CHECKS.md '
'"Minor units"). Shapes (docs/CHECKS.md "Ledger shapes"): transfer rows (wallet column NULL, '
'"debit_wallet", "credit_wallet"), "filters" [{"column", "op", "value"|"values"}], "parents" '
'{alias: {"table", "key", "via"}}, effects keyed on several columns ("operation" a list, '
'"effects" a list of {"when", "effect", "label"} rules). Errors: RC101-RC108, RC115 '
'(docs/SQLSTATES.md). Needs the toolkit owner. Table names resolve on your search_path, as in '
'psql; the function is not SECURITY DEFINER and pins no path.';

REVOKE EXECUTE ON FUNCTION recon.register_ledger_source(text, text, text, text, text, jsonb)
FROM PUBLIC;
