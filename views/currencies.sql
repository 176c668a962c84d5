-- recon.currencies: the decimal places amounts of each currency are shown with.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.currencies;
CREATE VIEW recon.currencies AS
SELECT
    u.currency,
    u.minor_units
FROM _recon.currency_unit AS u
ORDER BY u.currency;

COMMENT ON VIEW recon.currencies IS
'The currencies whose minor units wallet-recon knows (ISO 4217, and BTC 8, ETH 18, USDC and '
'USDT 6): the decimal places the summary, the CLI and the HTML report show their amounts with, '
'padded, never rounded (an amount with more places is shown whole). A currency not listed (a '
'COIN of your own) is shown with as many places as its amounts have; to list it, INSERT INTO '
'_recon.currency_unit (currency, minor_units) as the toolkit''s owner.';

REVOKE ALL ON recon.currencies FROM PUBLIC;
GRANT SELECT ON recon.currencies TO recon_auditor, recon_operator;
