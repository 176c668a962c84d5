-- recon.allow_overdraft(): a wallet or balance column recon.fix() may leave below zero.
CREATE OR REPLACE FUNCTION recon.allow_overdraft(
    source text, wallet text DEFAULT NULL, balance_column text DEFAULT NULL,
    reason text DEFAULT NULL
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_variable
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(allow_overdraft.source);
    v_id bigint;
    v_exists boolean;
BEGIN
    IF allow_overdraft.balance_column IS NOT NULL
       AND allow_overdraft.balance_column <> ALL (v_ws.balance_columns) THEN
        PERFORM _recon.fail('RC102', format('%L is not a balance column of %s',
                                            allow_overdraft.balance_column, v_ws.name),
                            format('Balance columns: %s.',
                                   array_to_string(v_ws.balance_columns, ', ')),
                            'Name one of them, or NULL for every balance column.');
    END IF;
    IF allow_overdraft.wallet = '' THEN
        PERFORM _recon.fail('RC106', 'wallet must be a wallet key or NULL',
                            'An empty key names no wallet.',
                            'Give the wallet''s key as text, or NULL for every wallet.');
    END IF;
    IF allow_overdraft.wallet IS NOT NULL THEN
        -- a mistyped key would exempt nothing, silently
        EXECUTE format('SELECT EXISTS (SELECT FROM %s AS w WHERE w.%I::text = $1)',
                       v_ws.relid::regclass, v_ws.key_column)
        INTO v_exists USING allow_overdraft.wallet;
        IF NOT v_exists THEN
            PERFORM _recon.fail('RC106', format('no wallet %L in %s', allow_overdraft.wallet,
                                                v_ws.relid::regclass),
                                format('Wallet source %s has no wallet of that key.', v_ws.name),
                                'Give the key as text, as recon.open_findings shows it.');
        END IF;
    END IF;
    IF _recon.blank(allow_overdraft.reason) THEN
        PERFORM _recon.fail('RC303', 'an overdraft exemption needs a reason',
                            'The reason is kept with it (recon.overdraft_exemptions).',
                            'E.g. reason => ''world account: the ledger''''s source of funds''.');
    END IF;
    -- the same scope again replaces its reason; two calls at once wait for each other
    LOCK TABLE _recon.overdraft_exemption IN SHARE ROW EXCLUSIVE MODE;
    UPDATE _recon.overdraft_exemption AS e
    SET reason = allow_overdraft.reason, set_at = now(), set_by = session_user
    WHERE e.wallet_source = v_ws.name
      AND e.wallet_key IS NOT DISTINCT FROM allow_overdraft.wallet
      AND e.balance_column IS NOT DISTINCT FROM allow_overdraft.balance_column
    RETURNING e.id INTO v_id;
    IF v_id IS NULL THEN
        INSERT INTO _recon.overdraft_exemption AS e (wallet_source, wallet_key, balance_column,
                                                     reason)
        VALUES (v_ws.name, allow_overdraft.wallet, allow_overdraft.balance_column,
                allow_overdraft.reason)
        RETURNING e.id INTO v_id;
    END IF;
    RETURN jsonb_build_object('id', v_id, 'wallet_source', v_ws.name,
                              'wallet', allow_overdraft.wallet,
                              'balance_column', allow_overdraft.balance_column,
                              'reason', allow_overdraft.reason);
END;
$body$;

COMMENT ON FUNCTION recon.allow_overdraft(text, text, text, text) IS
'Lets recon.fix() leave a stored balance below zero: of one wallet (wallet => key as text: an '
'offset or world account), of one balance column of every wallet (balance_column => an '
'inflight column, a ledger that allows negative balances), of both, or (both NULL) of the '
'whole wallet source. reason is required and kept. Setting it again replaces the reason. '
'recon.forbid_overdraft() removes it; recon.overdraft_exemptions lists them. Without one, '
'recon.fix() skips a repair that would overdraw. Errors: RC107 unknown wallet source, RC102 '
'not a balance column, RC106 empty wallet key, RC303 no reason. Needs the toolkit owner.';

REVOKE EXECUTE ON FUNCTION recon.allow_overdraft(text, text, text, text) FROM PUBLIC;
