-- 0016 amounts per currency, each sum of money once (issue 15, items 2 and 5): a finding
-- carries its currency and the findings that explain it (explained_by), as last seen and as
-- each run saw it; a small table of minor units (ISO 4217, a few crypto assets) for the scale
-- amounts are shown at; the registry says which kinds' wallet_key is a wallet of the check's
-- wallet source (so reconcile reads that wallet's currency). The summaries and run alerts kept
-- so far lose their amounts added across currencies (recon.runs shows each run's amounts per
-- currency, from its findings).

ALTER TABLE _recon.finding
ADD COLUMN currency text,
ADD COLUMN explained_by bigint[];
COMMENT ON COLUMN _recon.finding.currency IS
'Currency of its amounts, as last seen: its wallet''s currency column when the wallet source '
'has one and the finding names one wallet of it, else the check''s currency option; NULL: '
'unknown (never guessed, never merged with another).';
COMMENT ON COLUMN _recon.finding.explained_by IS
'The findings (ids) that hold the same money, as last seen: the orphaned payments or the '
'duplicate behind a balance drift, the missing wallets behind a total. Totals count that '
'money once, there, and skip this finding. NULL when nothing explains it.';

ALTER TABLE _recon.observation
ADD COLUMN currency text,
ADD COLUMN explained_by bigint[];
COMMENT ON COLUMN _recon.observation.currency IS 'Its currency in that run (NULL: unknown).';
COMMENT ON COLUMN _recon.observation.explained_by IS
'The findings that held the same money in that run (totals skip this one).';

ALTER TABLE _recon.run_stage
ADD COLUMN currency text,
ADD COLUMN explained_by jsonb;
COMMENT ON COLUMN _recon.run_stage.currency IS 'Currency (NULL: unknown).';
COMMENT ON COLUMN _recon.run_stage.explained_by IS
'The staged findings holding the same money: [{"check": name, "finding": key}, ...].';

-- What findings showed so far: the check's currency.
UPDATE _recon.finding AS f SET currency = c.currency
FROM _recon.check_def AS c
WHERE c.name = f.check_name;
UPDATE _recon.observation AS o SET currency = f.currency
FROM _recon.finding AS f
WHERE f.id = o.finding_id;

ALTER TABLE _recon.check_kind
ADD COLUMN wallet_keyed boolean NOT NULL DEFAULT FALSE;
COMMENT ON COLUMN _recon.check_kind.wallet_keyed IS
'Its findings'' wallet_key is a key of the check''s wallet source (not an owner, not the user''s '
'own value): reconcile gives such a finding its wallet''s currency (the wallet source''s '
'currency column).';
UPDATE _recon.check_kind SET wallet_keyed = TRUE
WHERE kind IN ('balance', 'derived', 'duplicate', 'orphan', 'chain', 'lifecycle');

CREATE TABLE _recon.currency_unit (
    currency text PRIMARY KEY,
    minor_units smallint NOT NULL CONSTRAINT currency_unit_minor_units
    CHECK (minor_units BETWEEN 0 AND 18)
);
COMMENT ON TABLE _recon.currency_unit IS
'Decimal places amounts of a currency are shown with (ISO 4217 minor units, and a few crypto '
'assets), so that 15,492.00 is never shown beside 28,551.0. A currency not listed (COIN) is '
'shown with as many places as its amounts need. Add your own: INSERT INTO _recon.currency_unit '
'VALUES (''COIN'', 0). An amount with more places than listed is shown whole, never rounded.';
COMMENT ON COLUMN _recon.currency_unit.currency IS 'Currency code, as findings carry it.';
COMMENT ON COLUMN _recon.currency_unit.minor_units IS 'Decimal places (JPY 0, USD 2, BHD 3).';
COMMENT ON CONSTRAINT currency_unit_minor_units ON _recon.currency_unit IS
'0 to 18 places (ETH has 18).';
INSERT INTO _recon.currency_unit (currency, minor_units)
SELECT
    c,
    2 AS minor_units
FROM
    unnest(ARRAY[
        'AED', 'ARS', 'AUD', 'BDT', 'BGN', 'BRL', 'CAD', 'CHF', 'CNY', 'COP', 'CZK', 'DKK', 'EGP',
        'EUR', 'GBP', 'GHS', 'HKD', 'HUF', 'IDR', 'ILS', 'INR', 'KES', 'MAD', 'MXN', 'MYR', 'NGN',
        'NOK', 'NZD', 'PEN', 'PHP', 'PKR', 'PLN', 'RON', 'RUB', 'SAR', 'SEK', 'SGD', 'THB', 'TRY',
        'TWD', 'UAH', 'USD', 'ZAR', 'ZMW'
    ]) AS c
UNION ALL
SELECT
    c,
    0 AS minor_units
FROM
    unnest(ARRAY[
        'BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV',
        'XAF', 'XOF', 'XPF'
    ]) AS c
UNION ALL
SELECT
    c,
    3 AS minor_units
FROM unnest(ARRAY['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']) AS c
UNION ALL
VALUES ('CLF', 4), ('UYW', 4), ('BTC', 8), ('ETH', 18), ('USDC', 6), ('USDT', 6);
REVOKE ALL ON _recon.currency_unit FROM PUBLIC;

-- Kept summaries (recon.runs, and the run alerts that copy them) lose the amounts they added
-- across currencies: by_severity keeps its finding counts, by_check its counts and severity.
UPDATE _recon.run AS r
SET
    summary = r.summary
    || jsonb_build_object('by_severity', coalesce((
        SELECT jsonb_object_agg(s.key, s.value - 'amount')
        FROM jsonb_each(r.summary -> 'by_severity') AS s
    ), '{}'::jsonb))
    || jsonb_build_object('by_check', coalesce((
        SELECT jsonb_object_agg(c.key, c.value - 'amount')
        FROM jsonb_each(r.summary -> 'by_check') AS c
    ), '{}'::jsonb))
WHERE
    jsonb_typeof(r.summary -> 'by_severity') = 'object'
    AND jsonb_typeof(r.summary -> 'by_check') = 'object';
UPDATE _recon.alert AS a
SET
    details = a.details
    || jsonb_build_object('by_severity', coalesce((
        SELECT jsonb_object_agg(s.key, s.value - 'amount')
        FROM jsonb_each(a.details -> 'by_severity') AS s
    ), '{}'::jsonb))
    || jsonb_build_object('by_check', coalesce((
        SELECT jsonb_object_agg(c.key, c.value - 'amount')
        FROM jsonb_each(a.details -> 'by_check') AS c
    ), '{}'::jsonb))
WHERE
    a.kind = 'run' AND jsonb_typeof(a.details -> 'by_severity') = 'object'
    AND jsonb_typeof(a.details -> 'by_check') = 'object';
