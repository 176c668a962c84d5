-- 0017 a currency-mismatch check (issue 15): a ledger source may name the currency of each of
-- its entries (a column of the ledger, or of a parent row), which its legs relation carries as
-- "currency"; a check of kind currency reports each entry whose currency is not its wallet's.
ALTER TABLE _recon.ledger_source ADD COLUMN currency_column text;

COMMENT ON COLUMN _recon.ledger_source.currency_column IS
'The currency of each entry: a column of the ledger, or "<parent alias>.<column>" of a '
'registered parent row ("currency" option); the legs relation carries it as currency. NULL: '
'the entries carry none (their wallet''s is assumed).';

INSERT INTO _recon.check_kind (
    kind, options, required, compiler, strategies, cause_roles, user_query, description,
    wallet_keyed
) VALUES (
    'currency', '{ledger}', '{ledger}', '_recon.compile_currency', '{acknowledge,none}', '{}',
    FALSE, 'An entry whose own currency is not its wallet''s: reported once per entry.', TRUE
);
