-- _recon.check_row_currency(): where a check's rows take their own currency from, if anywhere.
CREATE OR REPLACE FUNCTION _recon.check_row_currency(
    p_kind text, p_ledger text, p_wallet text
)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- what the compiled check reads and what reconcile gives its findings (stage_rows_sql):
    -- a journal's entries' currency; a wallet's currency for a kind whose findings name one
    -- wallet; a chain without one, its entries'
    SELECT CASE
        WHEN p_kind = 'journal' THEN (
            SELECT format('%s.%s', l.relid::regclass, l.currency_column)
            FROM _recon.ledger_source AS l
            WHERE l.name = p_ledger AND l.currency_column IS NOT NULL)
        ELSE COALESCE(
            (SELECT format('%s.%I', w.relid::regclass, w.currency_column)
             FROM _recon.wallet_source AS w
             JOIN _recon.check_kind AS k ON k.kind = p_kind AND k.wallet_keyed
             WHERE w.name = p_wallet AND w.currency_column IS NOT NULL),
            (SELECT format('%s.%s', l.relid::regclass, l.currency_column)
             FROM _recon.ledger_source AS l
             WHERE p_kind = 'chain' AND l.name = p_ledger AND l.currency_column IS NOT NULL))
    END;
$body$;

COMMENT ON FUNCTION _recon.check_row_currency(text, text, text) IS
'Names the column a check''s rows take their own currency from, as its compiled SQL and '
'reconcile read it: a journal check''s entries'' currency (the ledger''s currency option); for a '
'kind whose findings name one wallet, the wallet source''s currency column, else for a chain '
'check its entries''; NULL when there is none (the check''s currency option is then the '
'currency of all its amounts). One amount is refused for such a check unless it names its '
'currency (_recon.currency_amounts).';

REVOKE EXECUTE ON FUNCTION _recon.check_row_currency(text, text, text) FROM PUBLIC;
