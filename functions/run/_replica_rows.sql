-- _recon.replica_rows(): one check's findings as a run stages them, read only (a standby).
CREATE OR REPLACE FUNCTION _recon.replica_rows(p_check _recon.check_def)
RETURNS jsonb
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
    v_rows jsonb;
BEGIN
    -- What recon.reconcile() stages from the check's view, then gives a label
    -- (_recon.stage_labels) and a currency (_recon.stage_currency), here in the one SELECT
    -- that a read-only transaction can run: the same finding keys, label and currency rules.
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
    EXECUTE format($q$
        SELECT COALESCE(jsonb_agg(jsonb_build_object(
                   'check_name', d.check_name, 'finding_key', d.finding_key,
                   'wallet_key', d.wallet_key, 'stored', d.stored, 'expected', d.expected,
                   'difference', d.difference,
                   'details', d.details || jsonb_strip_nulls(jsonb_build_object('label', %2$s)),
                   'cause', d.details ->> 'cause',
                   'currency', COALESCE(d.details ->> 'currency', %3$s, $1))
                   ORDER BY d.finding_key), '[]'::jsonb)
        FROM (SELECT s.check_name,
                     s.fkey || CASE WHEN count(*) OVER (PARTITION BY s.fkey) > 1
                                    THEN '#' || row_number() OVER (PARTITION BY s.fkey)
                                    ELSE '' END AS finding_key,
                     s.wallet_key, s.stored, s.expected, s.difference, s.details
              FROM (SELECT f.*, concat_ws('/', COALESCE(f.wallet_key, '-'),
                                          f.details ->> 'item') AS fkey
                    FROM recon.%1$I AS f) AS s) AS d
        %4$s$q$, p_check.view_name, v_label, v_currency, v_join)
    INTO v_rows USING p_check.currency;
    RETURN v_rows;
END;
$body$;

COMMENT ON FUNCTION _recon.replica_rows(_recon.check_def) IS
'The findings of one check as recon.reconcile() stages them (finding key, amounts, details '
'with the wallet''s label, cause, currency by the rules of _recon.stage_labels and '
'_recon.stage_currency), as a jsonb array, from one SELECT: what a run read on a standby '
'(recon.replica_findings) sends to the primary.';

REVOKE EXECUTE ON FUNCTION _recon.replica_rows(_recon.check_def) FROM PUBLIC;
