-- _recon.balance_add_settled(): the settled entries between two bounds, added to the sums.
CREATE OR REPLACE FUNCTION _recon.balance_add_settled(
    p_check _recon.check_def, p_from numeric, p_to numeric, p_sums text,
    OUT p_delta text[], OUT p_inserted bigint
)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_state regclass := _recon.balance_state_table(p_check.name);
BEGIN
    p_delta := ARRAY[]::text[];
    p_inserted := 0;
    IF p_to > p_from THEN
        EXECUTE format($q$
            WITH a AS (%1$s), up AS (
                INSERT INTO %2$s AS s (k, n, n_amount, n_bad, sums)
                SELECT a.k::%4$s, a.n, a.n_amount, a.n_bad, ARRAY[%3$s]::numeric[] FROM a
                ON CONFLICT (k) DO UPDATE
                SET n = s.n + excluded.n,
                    n_amount = s.n_amount + excluded.n_amount,
                    n_bad = s.n_bad + excluded.n_bad,
                    sums = ARRAY(SELECT CASE WHEN u.x IS NULL THEN u.y WHEN u.y IS NULL THEN u.x
                                             ELSE u.x + u.y END
                                 FROM unnest(s.sums, excluded.sums) WITH ORDINALITY AS u (x, y, i)
                                 ORDER BY u.i)
                RETURNING s.k::text AS k, s.xmax = 0 AS inserted
            )
            SELECT COALESCE(array_agg(up.k), '{}'),
                   count(*) FILTER (WHERE up.inserted)
            FROM up$q$,
            _recon.balance_agg_sql(p_check.options, format('l.ord > %s AND l.ord <= %s',
                                                           p_from, p_to)),
            v_state, p_sums, _recon.column_type(v_state, 'k')
        ) INTO p_delta, p_inserted;
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.balance_add_settled(_recon.check_def, numeric, numeric, text) IS
'Step 2 of _recon.balance_increment: adds the entries of balance check p_check with an ordering '
'id above p_from and up to p_to to its per-wallet state (_recon.balance_state_table(); p_sums: the '
'list of the sums a.s1, a.s2...). p_delta: the wallet keys it added to, p_inserted: how many '
'of them are new rows.';

REVOKE EXECUTE ON FUNCTION _recon.balance_add_settled(_recon.check_def, numeric, numeric, text)
FROM PUBLIC;
