-- _recon.guard_drift_records(): the records of a drift guard's accumulator, as rows.
CREATE OR REPLACE FUNCTION _recon.guard_drift_records(p_acc text)
RETURNS TABLE (item text, col integer, stored numeric, ledger numeric)
LANGUAGE sql
IMMUTABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- ',<key>:<column><s|l><amount>,' records (_recon.guard_drift_record_sql); the key is
    -- everything before the last ':' that a column number follows, its '%' and ',' unescaped.
    SELECT replace(replace(m[1], '%2C', ','), '%25', '%'), m[2]::integer,
           CASE m[3] WHEN 's' THEN m[4]::numeric ELSE 0 END,
           CASE m[3] WHEN 'l' THEN m[4]::numeric ELSE 0 END
    FROM string_to_table(p_acc, ',') AS r (rec)
    CROSS JOIN LATERAL regexp_match(r.rec, '^(.*):([0-9]+)([sl])(.*)$') AS m
    WHERE m IS NOT NULL;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_records(text) IS
'The records of a drift guard''s accumulator (wallet_recon.drift_<guard id>), one row each: '
'wallet key, balance column number, stored change, ledger effect (one of the two is 0).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_records(text) FROM PUBLIC;
