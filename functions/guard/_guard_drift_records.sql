-- _recon.guard_drift_records(): the records of a drift guard's accumulator, as rows.
CREATE OR REPLACE FUNCTION _recon.guard_drift_records(p_acc text)
RETURNS TABLE (item text, col integer, stored numeric, ledger numeric)
LANGUAGE sql
IMMUTABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- ',<key>:<column>=<amount><s|l>,' records (_recon.guard_drift_record_sql; guards enabled
    -- before migration 0008 write ',<key>:<column><s|l><amount>,'): the key is everything before the last
    -- ':' that a column number follows, its '%' and ',' unescaped; NaNs and NaNl are NaN. The
    -- marks '*' (check queued) and '!' (spilled) are not records.
    SELECT replace(replace(x.m[1], '%2C', ','), '%25', '%'), x.m[2]::integer,
           CASE x.m[3] WHEN 's' THEN x.m[4]::numeric ELSE 0 END,
           CASE x.m[3] WHEN 'l' THEN x.m[4]::numeric ELSE 0 END
    FROM string_to_table(p_acc, ',') AS r (rec)
    CROSS JOIN LATERAL (
        SELECT COALESCE(
            (SELECT ARRAY[n[1], n[2], n[4], CASE WHEN n[3] LIKE 'NaN%' THEN 'NaN' ELSE n[3] END]
             FROM regexp_match(r.rec, '^(.*):([0-9]+)=(.*)([sl])$') AS n WHERE n IS NOT NULL),
            regexp_match(r.rec, '^(.*):([0-9]+)([sl])(.*)$')) AS m
    ) AS x
    WHERE x.m IS NOT NULL;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_records(text) IS
'The records of a drift guard''s accumulator (wallet_recon.drift_<guard id>), one row each: '
'wallet key, balance column number, stored change, ledger effect (one of the two is 0).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_records(text) FROM PUBLIC;
