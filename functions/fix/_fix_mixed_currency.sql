-- _recon.fix_mixed_currency(): a balance repair of a wallet whose entries mix currencies is
-- left to a person.
CREATE OR REPLACE FUNCTION _recon.fix_mixed_currency(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_pair record;
    v_ledger _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_mixed jsonb;
BEGIN
    -- A balance check sums a wallet's entries whatever their currency; the currency check
    -- finds the entry booked in another currency than its wallet's. Then the balance's drift is
    -- (or holds) that entry's amount in a foreign currency: a resync or an adjustment would
    -- book it into the wallet's own currency, and acknowledging the currency finding would
    -- hide it for good. The evidence is the ledger itself (read now, under the lock when
    -- applying), not the findings: such a step is manual, whatever its strategy.
    FOR v_pair IN
        SELECT DISTINCT n.ledger, s.wallet_source
        FROM _recon.fix_stage AS s
        JOIN _recon.check_def AS c ON c.name = s.check_name
        CROSS JOIN LATERAL unnest(_recon.check_ledgers(c.options)) AS n (ledger)
        WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.kind = 'balance'
          AND s.wallet_key IS NOT NULL
        ORDER BY 1, 2
    LOOP
        v_ledger := _recon.ledger(v_pair.ledger);
        v_wallet := _recon.wallet(v_pair.wallet_source);
        CONTINUE WHEN v_ledger.currency_column IS NULL OR v_wallet.currency_column IS NULL;
        -- {wallet: [the other currencies of its entries]}
        v_mixed := _recon.fix_read(format($q$
            SELECT jsonb_object_agg(x.k, x.currencies)
            FROM (
                SELECT l.wallet::text AS k,
                       jsonb_agg(DISTINCT COALESCE(l.currency::text, 'none')) AS currencies
                FROM %1$s AS l
                JOIN %2$s AS w ON w.%3$I = l.wallet
                WHERE l.wallet = ANY ($1::%4$s[])
                  AND l.currency::text IS DISTINCT FROM w.%5$I::text
                GROUP BY l.wallet
            ) AS x$q$,
            _recon.legs_sql(v_ledger), v_wallet.relid::regclass, v_wallet.key_column,
            _recon.column_type_sql(v_wallet.relid, v_wallet.key_column), v_wallet.currency_column),
            ARRAY(SELECT s.wallet_key FROM _recon.fix_stage AS s
                  WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.kind = 'balance'
                    AND s.wallet_source = v_pair.wallet_source));
        UPDATE _recon.fix_stage AS s
        SET status = 'manual',
            note = format('the wallet''s entries in ledger %s include another currency than '
                          || 'its own (%s): its balance sums them all, so a repair would book a '
                          || 'foreign amount into its currency; move the entry to a wallet of '
                          || 'its currency by hand (the currency check finds it), then run again',
                          v_ledger.name,
                          (SELECT string_agg(c.value, ', ' ORDER BY c.value)
                           FROM jsonb_array_elements_text(v_mixed -> s.wallet_key) AS c))
        WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.kind = 'balance'
          AND s.wallet_source = v_pair.wallet_source AND v_mixed ? s.wallet_key;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_mixed_currency(bigint) IS
'Phase of _recon.fix_assess: a planned balance step of a wallet some of whose entries (in a '
'ledger with a currency per row, on a wallet source with a currency column) are in another '
'currency than the wallet''s becomes manual, naming those currencies: the balance check sums '
'every entry, so resyncing or adjusting would book a foreign amount into the wallet''s '
'currency. Read from the ledger, under the lock when applying.';

REVOKE EXECUTE ON FUNCTION _recon.fix_mixed_currency(bigint) FROM PUBLIC;
