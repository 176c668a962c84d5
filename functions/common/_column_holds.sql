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
    -- A column of minor units (a source's "scale", docs/CHECKS.md "Minor units") holds
    -- p_value, given in major units, as p_value * 10^places. With a per-row scale the row's
    -- scale is not known here: the write itself refuses a value that is not whole (RC321).
    SELECT CASE
        WHEN p_value IS NULL OR x.per_row THEN TRUE
        WHEN x.typ IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
            x.v = trunc(x.v)
            AND x.v BETWEEN CASE x.typ WHEN 'smallint'::regtype THEN -32768
                                       WHEN 'integer'::regtype THEN -2147483648
                                       ELSE -9223372036854775808 END
                        AND CASE x.typ WHEN 'smallint'::regtype THEN 32767
                                       WHEN 'integer'::regtype THEN 2147483647
                                       ELSE 9223372036854775807 END
        WHEN x.typ = 'numeric'::regtype AND x.typmod >= 4 THEN
            x.v = round(x.v, x.scale) AND abs(x.v) < 10::numeric ^ (x.prec - x.scale)
        WHEN x.typ = 'numeric'::regtype AND x.places IS NOT NULL THEN x.v = trunc(x.v)
        ELSE TRUE
    END
    FROM (
        SELECT b.typ, b.typmod, ((b.typmod - 4) >> 16) & 65535 AS prec,
               (((b.typmod - 4) & 2047) # 1024) - 1024 AS scale,  -- PostgreSQL 15: may be < 0
               p_value * COALESCE(('1e' || m.places)::numeric, 1) AS v, m.places, m.per_row
        FROM pg_catalog.pg_attribute AS a
        JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
        CROSS JOIN LATERAL (
            SELECT COALESCE(NULLIF(t.typbasetype, 0), a.atttypid)::regtype AS typ,
                   CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END AS typmod
        ) AS b
        LEFT JOIN LATERAL (
            SELECT max((u.sc ->> 'places')::integer) AS places, bool_or(u.sc ? 'column') AS per_row
            FROM (SELECT w.balance_scale AS sc FROM _recon.wallet_source AS w
                  WHERE w.relid = p_relid AND p_column = ANY (w.balance_columns)
                  UNION ALL
                  SELECT l.amount_scale FROM _recon.ledger_source AS l
                  WHERE l.relid = p_relid
                    AND (p_column IN (l.amount_column, l.balance_after_column)
                         OR EXISTS (SELECT FROM jsonb_each_text(l.after_columns) AS e
                                    WHERE e.value = p_column))) AS u
            WHERE u.sc IS NOT NULL
        ) AS m ON TRUE
        WHERE a.attrelid = p_relid AND a.attname = p_column AND a.attnum > 0
          AND NOT a.attisdropped
    ) AS x;
$body$;

COMMENT ON FUNCTION _recon.column_holds(oid, name, numeric) IS
'True if the column can hold the value as it is: for numeric(p,s) at most s decimals and below '
'10^(p-s), for smallint, integer and bigint a whole number in range, for other numeric types '
'always (domains resolved to their base type and modifier). NULL for an unknown column. A '
'column of minor units (a source''s scale) takes p_value in major units: at a fixed scale it '
'must be a whole number of minor units; at a per-row scale the write itself checks (RC321).';

REVOKE EXECUTE ON FUNCTION _recon.column_holds(oid, name, numeric) FROM PUBLIC;
