-- _recon.stage_currency(): a run's staged findings of one check get their currency.
CREATE OR REPLACE FUNCTION _recon.stage_currency(p_run bigint, p_check _recon.check_def)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_wallet _recon.wallet_source;
    v_keyed boolean;
BEGIN
    -- 1. The check's fixed currency (its currency option), or NULL: unknown.
    UPDATE _recon.run_stage AS s SET currency = p_check.currency
    WHERE s.run_id = p_run AND s.check_name = p_check.name;
    -- 2. A finding naming one wallet of the check's wallet source, when that source has a
    --    currency column: the wallet's own currency, where it has one. An owner key (coverage),
    --    the user's own key (custom) or a finding over several wallets (a duplicate of global
    --    scope across wallets) names no single wallet, and keeps step 1's.
    SELECT k.wallet_keyed INTO v_keyed FROM _recon.check_kind AS k WHERE k.kind = p_check.kind;
    SELECT w.* INTO v_wallet FROM _recon.wallet_source AS w WHERE w.name = p_check.wallet_source;
    IF v_keyed IS TRUE AND v_wallet.currency_column IS NOT NULL THEN
        EXECUTE format(
            'UPDATE _recon.run_stage AS s SET currency = w.%1$I::text FROM %2$s AS w '
            || 'WHERE s.run_id = $1 AND s.check_name = $2 AND s.wallet_key = w.%3$I::text '
            || 'AND w.%1$I IS NOT NULL AND COALESCE(s.details ->> ''wallets'', ''1'') = ''1''',
            v_wallet.currency_column, v_wallet.relid::regclass, v_wallet.key_column
        ) USING p_run, p_check.name;
    END IF;
    -- 3. A finding whose check knew the currency of its amount (details "currency": an
    --    entry's own, from the ledger's currency option through the legs relation) takes it.
    UPDATE _recon.run_stage AS s SET currency = s.details ->> 'currency'
    WHERE s.run_id = p_run AND s.check_name = p_check.name AND s.details ->> 'currency' IS NOT NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.stage_currency(bigint, _recon.check_def) IS
'Gives each finding a run staged for the check its currency: the wallet''s currency column '
'when the wallet source has one, the finding names one wallet of it (the kind is wallet_keyed '
'in _recon.check_kind) and that wallet''s currency is not NULL; else the check''s currency '
'option; else NULL, meaning unknown (never guessed). The same rule recon.fix() gives a step''s '
'currency by. Above all, the currency the check gave the finding itself (details "currency", '
'e.g. an entry''s own currency in a currency-mismatch finding).';

REVOKE EXECUTE ON FUNCTION _recon.stage_currency(bigint, _recon.check_def) FROM PUBLIC;
