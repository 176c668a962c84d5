-- _recon.opposite_effect_sql(): SQL true when one ledger entry's effect is exactly the opposite
-- of another's.
CREATE OR REPLACE FUNCTION _recon.opposite_effect_sql(
    p_ledger _recon.ledger_source, p_alias text, p_other text
)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A signed ledger: the opposite amount (every column moves by amount times one multiplier).
    -- Direction and operation ledgers: every balance column the ledger moves, moved back by
    -- exactly as much (a CREDIT of 5 against a DEBIT of 5, an ON_HOLD against a RELEASE).
    -- A NULL amount is the opposite of nothing.
    SELECT CASE WHEN p_ledger.amount_mode = 'signed'
                THEN format('%1$I.%3$I = -%2$I.%3$I', p_alias, p_other, p_ledger.amount_column)
                ELSE (SELECT string_agg(format('(%s) = -(%s)',
                                               _recon.effect_sql(p_ledger, c, p_alias),
                                               _recon.effect_sql(p_ledger, c, p_other)),
                                        ' AND ' ORDER BY c)
                      FROM jsonb_object_keys(p_ledger.effects) AS c)
           END;
$body$;

COMMENT ON FUNCTION _recon.opposite_effect_sql(_recon.ledger_source, text, text) IS
'An SQL condition: the ledger entry aliased p_alias has exactly the opposite effect of the one '
'aliased p_other: the opposite amount on a signed ledger, else the opposite change of every '
'balance column the ledger moves (_recon.effect_sql). What a hand-posted REV-<entry id> must '
'match to count as a reversal (_recon.in_effect_sql).';

REVOKE EXECUTE ON FUNCTION _recon.opposite_effect_sql(_recon.ledger_source, text, text)
FROM PUBLIC;
