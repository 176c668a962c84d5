-- recon.overdraft_exemptions: where recon.fix() may leave a stored balance below zero.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.overdraft_exemptions;
CREATE VIEW recon.overdraft_exemptions AS
SELECT
    e.id,
    e.wallet_source,
    e.wallet_key,
    e.balance_column,
    e.reason,
    e.set_at,
    e.set_by
FROM _recon.overdraft_exemption AS e;

COMMENT ON VIEW recon.overdraft_exemptions IS
'Overdraft exemptions (recon.allow_overdraft): a wallet (wallet_key), a balance column of '
'every wallet, both, or (both NULL) a whole wallet source whose stored balances recon.fix() '
'may leave below zero, with the reason, who and when.';

REVOKE ALL ON recon.overdraft_exemptions FROM PUBLIC;
GRANT SELECT ON recon.overdraft_exemptions TO recon_auditor, recon_operator;
