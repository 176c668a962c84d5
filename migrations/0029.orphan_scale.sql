-- 0029 the orphan check's payment amounts may be minor units: a "scale" option, read as the
-- ledger's and the wallets' "scale" are (docs/CHECKS.md "Minor units"). Before, the amount was
-- read as stored, and a repair posted 7,700 cents of a payment as 7,700.00.
UPDATE _recon.check_kind
SET options = array_append(options, 'scale')
WHERE kind = 'orphan' AND NOT options @> ARRAY['scale'];
