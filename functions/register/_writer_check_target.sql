-- _recon.writer_check_target(): what a writer posts into and against exists and fits.
CREATE OR REPLACE FUNCTION _recon.writer_check_target(
    p_name text, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source, p_options jsonb
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
AS $body$
DECLARE
    v_exists boolean;
BEGIN
    -- an INSERT writer inserts into the ledger as registered: a view must take the INSERT
    -- (a simple view, or one with an INSTEAD OF INSERT trigger), or repairs would fail later
    IF NOT p_options ? 'function'
       AND pg_catalog.pg_relation_is_updatable(p_ledger.relid, TRUE) & 8 = 0 THEN
        PERFORM _recon.fail(
            'RC312', format('ledger %s cannot take an INSERT writer', p_name),
            format('%s is a %s that does not accept INSERT (a join, an aggregate, DISTINCT, a '
                   || 'UNION...: not automatically updatable, and no INSTEAD OF INSERT trigger).',
                   p_ledger.relid::regclass,
                   CASE (SELECT c.relkind FROM pg_catalog.pg_class AS c
                         WHERE c.oid = p_ledger.relid)
                        WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                        ELSE 'relation' END),
            'Register a posting function ({"function": "schema.post(jsonb)"}) that writes the '
            || 'base tables, or register the ledger on its base table; docs/REPAIRS.md.');
    END IF;
    IF p_options ? 'offset_wallet' THEN
        EXECUTE format('SELECT EXISTS (SELECT FROM %s AS w WHERE w.%I::text = $1)',
                       p_wallet.relid::regclass, p_wallet.key_column)
        INTO v_exists USING p_options ->> 'offset_wallet';
        IF NOT v_exists THEN
            PERFORM _recon.fail(
                'RC305', format('offset wallet %L is not in %s', p_options ->> 'offset_wallet',
                                p_wallet.relid::regclass),
                'Double-entry repairs post their other side to this wallet.',
                'Create the system wallet first (seed 003 calls it ''system'').');
        END IF;
    END IF;
    -- a transfer row moves two wallets: a repair posts from or to the offset wallet (an
    -- INSERT writer one row, a posting function as it likes; conservation checks both)
    IF p_ledger.shape = 'transfer' AND NOT p_options ? 'offset_wallet' THEN
        PERFORM _recon.fail(
            'RC305', format('a writer for transfer ledger %s needs an "offset_wallet"', p_name),
            'A repair on a transfer ledger is one row between the wallet and the offset wallet.',
            'E.g. {"offset_wallet": "world"}: the system wallet repairs move money from and to.');
    END IF;
    IF p_options ? 'journal' AND p_ledger.journal_column IS NULL THEN
        PERFORM _recon.fail('RC305', format('ledger %s has no journal column', p_name),
                            'A journal template fills the ledger''s journal column.',
                            'Register the ledger with {"journal": "<column>"}, or drop it here.');
    END IF;
    -- (a transfer row is its own journal: both legs are the one row, balanced by construction)
    IF p_options ? 'offset_wallet' AND NOT p_options ? 'function' AND p_ledger.journal_column
        IS NOT NULL AND NOT p_options ? 'journal' AND p_ledger.shape = 'entries' THEN
        PERFORM _recon.fail(
            'RC305', 'a double-entry writer needs a "journal" template',
            'Both sides of a posting share one journal id, so the journal check sees them '
            || 'balance.', 'E.g. "journal": "recon-{uuid}".');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.writer_check_target(
    text, _recon.ledger_source, _recon.wallet_source, jsonb
) IS
'For recon.register_writer(p_name, p_options) on ledger p_ledger of wallet source p_wallet: '
'RC312 when an INSERT writer''s relation takes no INSERT; RC305 when the offset wallet is not '
'a wallet, a transfer ledger''s writer has none, a journal template has no journal column, '
'or a double-entry INSERT writer on a ledger with journals has no journal template.';

REVOKE EXECUTE ON FUNCTION _recon.writer_check_target(
    text, _recon.ledger_source, _recon.wallet_source, jsonb
) FROM PUBLIC;
