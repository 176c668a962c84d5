-- _recon.column_holds(): whether a column of yours can hold a value exactly.
CREATE OR REPLACE FUNCTION _recon.column_holds(p_relid oid, p_column name, p_value numeric)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- numeric(p,s): at most s decimals (a value with more would be rounded) and below 10^(p-s);
    -- the integer types: whole and in range; anything else (numeric, real, double precision):
    -- yes. A domain's own CHECK constraints are not looked at.
    SELECT CASE
        WHEN p_value IS NULL THEN TRUE
        WHEN x.typ IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
            p_value = trunc(p_value)
            AND p_value BETWEEN CASE x.typ WHEN 'smallint'::regtype THEN -32768
                                           WHEN 'integer'::regtype THEN -2147483648
                                           ELSE -9223372036854775808 END
                            AND CASE x.typ WHEN 'smallint'::regtype THEN 32767
                                           WHEN 'integer'::regtype THEN 2147483647
                                           ELSE 9223372036854775807 END
        WHEN x.typ = 'numeric'::regtype AND x.typmod >= 4 THEN
            p_value = round(p_value, x.scale) AND abs(p_value) < 10::numeric ^ (x.prec - x.scale)
        ELSE TRUE
    END
    FROM (
        SELECT b.typ, b.typmod, ((b.typmod - 4) >> 16) & 65535 AS prec,
               (((b.typmod - 4) & 2047) # 1024) - 1024 AS scale  -- PostgreSQL 15: may be < 0
        FROM pg_catalog.pg_attribute AS a
        JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
        CROSS JOIN LATERAL (
            SELECT COALESCE(NULLIF(t.typbasetype, 0), a.atttypid)::regtype AS typ,
                   CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END AS typmod
        ) AS b
        WHERE a.attrelid = p_relid AND a.attname = p_column AND a.attnum > 0
          AND NOT a.attisdropped
    ) AS x;
$body$;

COMMENT ON FUNCTION _recon.column_holds(oid, name, numeric) IS
'True if the column can hold the value as it is: for numeric(p,s) at most s decimals and below '
'10^(p-s), for smallint, integer and bigint a whole number in range, for other numeric types '
'always (domains resolved to their base type and modifier). NULL for an unknown column.';

REVOKE EXECUTE ON FUNCTION _recon.column_holds(oid, name, numeric) FROM PUBLIC;
