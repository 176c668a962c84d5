-- _recon.compile_orphan(): completed source rows (payments) no ledger entry references (seed 000).
CREATE OR REPLACE FUNCTION _recon.compile_orphan(p_name text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_ref name := _recon.require_column(v_ledger, v_ledger.reference_column, 'reference', 'orphan');
    v_relid oid := _recon.resolve_table(p_options ->> 'table');
    v_id name := _recon.resolve_column(v_relid, p_options ->> 'id_column', 'the source id');
    v_amount name := _recon.resolve_column(v_relid, p_options ->> 'amount_column', 'the amount',
                                           TRUE);
    -- the payment amounts in minor units ("scale"), read in major units like the ledger's
    v_scale jsonb := _recon.scale_option(v_relid, p_options -> 'scale',
                                         'orphan check ' || p_name, ARRAY[v_amount]);
    v_expected text := _recon.major_sql(v_scale, format('s.%I', v_amount), 's');
    v_wallet text := 'NULL';
    -- the payment's own currency, when the payments say it: the finding's currency
    v_currency text := '';
    v_where text := 'TRUE';
    v_match text;
    v_col text;
    v_val jsonb;
BEGIN
    IF p_options ? 'wallet_column' THEN
        v_wallet := format('s.%I', _recon.resolve_column(v_relid, p_options ->> 'wallet_column',
                                                          'the wallet key'));
    END IF;
    IF p_options ? 'currency_column' THEN
        v_currency := format(' || jsonb_strip_nulls(jsonb_build_object(''currency'', s.%I::text))',
                             _recon.resolve_column(v_relid, p_options ->> 'currency_column',
                                                   'the payment currency'));
    END IF;
    IF p_options ? 'filters' THEN
        IF jsonb_typeof(p_options -> 'filters') <> 'object' THEN
            PERFORM _recon.fail('RC106', '"filters" must be an object',
                                'It maps a column to the values it must have.',
                                'E.g. {"status": ["COMPLETED"]}.');
        END IF;
        FOR v_col, v_val IN SELECT f.key, f.value FROM jsonb_each(p_options -> 'filters') AS f LOOP
            v_where := v_where || ' AND ' || _recon.in_list_sql(v_relid, 's', v_col, v_val,
                                                                  'filters.' || v_col);
        END LOOP;
    END IF;
    IF p_options ? 'like' THEN
        IF jsonb_typeof(p_options -> 'like') <> 'object' THEN
            PERFORM _recon.fail('RC106', '"like" must be an object',
                                'It maps a column to a LIKE pattern.',
                                'E.g. {"source_id": "wallet-%"}.');
        END IF;
        FOR v_col, v_val IN SELECT f.key, f.value FROM jsonb_each(p_options -> 'like') AS f LOOP
            IF jsonb_typeof(v_val) <> 'string' THEN
                PERFORM _recon.fail('RC106', format('pattern for %L must be a string', v_col),
                                    format('Got %s.', v_val), 'E.g. "wallet-%".');
            END IF;
            v_where := v_where || format(' AND s.%I::text LIKE %L',
                _recon.resolve_column(v_relid, v_col, 'like.' || v_col), v_val #>> '{}');
        END LOOP;
    END IF;
    -- Compare as the columns are when their types agree (so an index on the reference is used),
    -- as text otherwise.
    IF _recon.column_type(v_relid, v_id) = _recon.column_type(v_raw.relid, v_raw.reference_column)
    THEN
        v_match := format('l.%I = s.%I', v_ref, v_id);
    ELSE
        v_match := format('l.%I::text = s.%I::text', v_ref, v_id);
    END IF;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       %2$s::text AS wallet_key,
       0::numeric AS stored,
       (%3$s)::numeric AS expected,
       (0 - (%3$s))::numeric AS difference,
       jsonb_build_object('item', s.%4$I::text, 'source_id', s.%4$I, 'column', %10$L,
                          'cause', 'orphaned_payment')%11$s AS details
FROM %5$s AS s
WHERE %6$s
  AND NOT EXISTS (SELECT FROM %7$s AS l WHERE %8$s AND %9$s)$sql$,
        p_name, v_wallet, v_expected, v_id, v_relid::regclass, v_where,
        _recon.legs_sql(v_raw), v_match, _recon.in_effect_sql(v_raw, 'l'),
        -- the balance column a missing entry would have moved: the first the ledger moves
        (SELECT c.b FROM unnest((_recon.wallet(v_ledger.wallet_source)).balance_columns)
                            WITH ORDINALITY AS c (b, o)
         WHERE v_ledger.effects ? c.b ORDER BY c.o LIMIT 1),
        v_currency
    );
END;
$body$;

COMMENT ON FUNCTION _recon.compile_orphan(text, jsonb) IS
'Compiles an orphan check: rows of a source table (payments) matching "filters" '
'({"status": ["COMPLETED"]}) and "like" ({"source_id": "wallet-%"}) whose id no ledger entry '
'has as its reference. Only entries in effect count (_recon.in_effect_sql): one the toolkit '
'reversed, or one reversed by a matching REV-<entry id> of the opposite effect on the same '
'wallet, does not; a 0.00 or foreign REV- changes nothing. expected is the amount that should '
'have been posted, in major units where "scale" says the payments keep minor units (as a '
'ledger''s "scale"). With "currency_column" the payment''s currency is the finding''s '
'(details.currency), and a repair never posts it into a wallet of another currency '
'(_recon.fix_payment_currency). docs/CHECKS.md.';

REVOKE EXECUTE ON FUNCTION _recon.compile_orphan(text, jsonb) FROM PUBLIC;
