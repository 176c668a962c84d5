-- _recon.stage_rows_sql(): a check's findings as a run stages them: label, cause, currency.
CREATE OR REPLACE FUNCTION _recon.stage_rows_sql(p_check _recon.check_def, p_rows text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_wallet _recon.wallet_source;
    v_keyed boolean;
    v_label text := 'NULL::text';
    v_currency text := 'NULL::text';
    v_join text := '';
BEGIN
    -- The one place the label and currency rules live: a run on the primary applies them to
    -- its stage (_recon.stage_rules), a run read on a standby to its SELECT
    -- (_recon.replica_rows), the primary's re-check of a finding a standby no longer saw
    -- (_recon.replica_recheck) to its rows.
    -- Label: the wallet's label column, unless the check gave one (a balance check's SQL does).
    -- Currency: the check gave the finding its own (details "currency", e.g. an entry's); else
    -- the wallet's currency column when the kind is wallet_keyed and the finding names one
    -- wallet (not a duplicate across wallets); else the check's currency option; else NULL:
    -- unknown, never guessed.
    SELECT w.* INTO v_wallet FROM _recon.wallet_source AS w WHERE w.name = p_check.wallet_source;
    SELECT k.wallet_keyed INTO v_keyed FROM _recon.check_kind AS k WHERE k.kind = p_check.kind;
    IF v_wallet.label_column IS NOT NULL THEN
        v_label := format('CASE WHEN NOT d.details ? ''label'' THEN w.%I::text END',
                          v_wallet.label_column);
    END IF;
    IF v_keyed IS TRUE AND v_wallet.currency_column IS NOT NULL THEN
        v_currency := format('CASE WHEN COALESCE(d.details ->> ''wallets'', ''1'') = ''1'' '
                             || 'THEN w.%I::text END', v_wallet.currency_column);
    END IF;
    IF v_wallet.label_column IS NOT NULL OR v_currency <> 'NULL::text' THEN
        v_join := format('LEFT JOIN %s AS w ON w.%I::text = d.wallet_key',
                         v_wallet.relid::regclass, v_wallet.key_column);
    END IF;
    RETURN format(
        'SELECT d.check_name, d.finding_key, d.wallet_key, d.stored, d.expected, d.difference, '
        || 'd.details || jsonb_strip_nulls(jsonb_build_object(''label'', %2$s)) AS details, '
        || 'd.details ->> ''cause'' AS cause, '
        || 'COALESCE(d.details ->> ''currency'', %3$s, %4$L::text) AS currency '
        || 'FROM (%1$s) AS d %5$s',
        p_rows, v_label, v_currency, p_check.currency, v_join);
END;
$body$;

COMMENT ON FUNCTION _recon.stage_rows_sql(_recon.check_def, text) IS
'The SQL of a check''s findings as a run stages them, from p_rows (a query of check_name, '
'finding_key, wallet_key, stored, expected, difference, details): details with the wallet''s '
'label (unless the check gave one), cause, and currency (the finding''s own, else its one '
'wallet''s currency column for a wallet_keyed kind, else the check''s currency option, else '
'NULL: unknown). The one generator of these rules: _recon.stage_rules (a run on the primary), '
'_recon.replica_rows (a run read on a standby) and _recon.replica_recheck use it.';

REVOKE EXECUTE ON FUNCTION _recon.stage_rows_sql(_recon.check_def, text) FROM PUBLIC;
