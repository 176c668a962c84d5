-- _recon.compile_currency(): entries whose own currency is not their wallet's (issue 15).
CREATE OR REPLACE FUNCTION _recon.compile_currency(p_name text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_wallet _recon.wallet_source := _recon.wallet(v_raw.wallet_source);
    v_item text := _recon.entry_name_sql(v_ledger, 'l');
BEGIN
    PERFORM _recon.require_column(v_raw, v_raw.currency_column, 'currency', 'currency');
    IF v_wallet.currency_column IS NULL THEN
        PERFORM _recon.fail(
            'RC106', format('a currency check needs wallet source %s to have a currency column',
                            v_wallet.name),
            format('Wallet source %s was registered without "currency".', v_wallet.name),
            'Drop and re-register the wallet source with {"currency": "<column>"}.');
    END IF;
    IF v_item = 'NULL::text' THEN
        PERFORM _recon.fail(
            'RC106', format('a currency check needs ledger %s to name its entries', v_raw.name),
            'Each finding is one entry: it needs "entry_id" or "order_by".',
            'Drop and re-register the ledger source with {"entry_id": "<column>"}.');
    END IF;
    -- One finding per leg whose currency is not its wallet's (a NULL on either side is one
    -- too): the entry's whole amount was booked in another currency than the balance it moves,
    -- whatever the balance checks say. An entry of a wallet that does not exist is the orphan's
    -- and the balance check's, not this one's.
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       l.wallet::text AS wallet_key,
       l.amount::numeric AS stored,
       0::numeric AS expected,
       l.amount::numeric AS difference,
       jsonb_build_object(
           'item', (%2$s)::text,
           'entry', %2$s,
           'entry_currency', l.currency,
           'wallet_currency', w.%3$I,
           'currency', l.currency,
           'columns', %4$s,
           'posted_at', %5$s,
           'cause', 'currency_mismatch'
       ) AS details
FROM %6$s AS l
JOIN %7$s AS w ON w.%8$I = l.wallet
WHERE l.currency IS DISTINCT FROM w.%3$I$sql$,
        p_name, v_item, v_wallet.currency_column, _recon.leg_columns_sql(v_ledger, 'l'),
        _recon.column_sql('l', v_ledger.posted_at_column, 'timestamptz'),
        _recon.legs_sql(v_raw), v_wallet.relid::regclass, v_wallet.key_column);
END;
$body$;

COMMENT ON FUNCTION _recon.compile_currency(text, jsonb) IS
'Compiles a currency check: one finding per leg whose currency (the ledger''s "currency" '
'option) is not its wallet''s (the wallet source''s "currency" column), NULL on either side '
'included. stored and difference are the entry''s amount, in the entry''s currency; details '
'name the entry, both currencies and the balance columns it moves. Repair: acknowledge (a '
'person decides). RC106 without the currency columns or an entry id.';

REVOKE EXECUTE ON FUNCTION _recon.compile_currency(text, jsonb) FROM PUBLIC;
