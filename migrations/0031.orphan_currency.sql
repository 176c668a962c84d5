-- 0031 the orphan check's payments may say their currency: a "currency_column" option. A payment
-- in another currency than its wallet's is then posted by hand, never booked into the wallet's
-- currency (before, a JPY 5000 charge into a USD wallet was posted as USD 5000).
UPDATE _recon.check_kind
SET options = array_append(options, 'currency_column')
WHERE kind = 'orphan' AND NOT options @> ARRAY['currency_column'];
