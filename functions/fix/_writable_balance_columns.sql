-- _recon.writable_balance_columns(): the balance columns of a wallet source a repair may write.
CREATE OR REPLACE FUNCTION _recon.writable_balance_columns(p_ws _recon.wallet_source)
RETURNS text[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- PostgreSQL computes a GENERATED column: no UPDATE may name it, and it follows the columns
    -- it is computed from. A step that would move it is skipped (_recon.fix_skip_generated).
    SELECT ARRAY(
        SELECT u.b FROM unnest(p_ws.balance_columns) WITH ORDINALITY AS u (b, n)
        WHERE NOT EXISTS (SELECT FROM pg_attribute AS a
                          WHERE a.attrelid = p_ws.relid AND a.attname = u.b
                            AND a.attgenerated <> '')
        ORDER BY u.n);
$body$;

COMMENT ON FUNCTION _recon.writable_balance_columns(_recon.wallet_source) IS
'The balance columns of wallet source p_ws, in their order, that a repair''s UPDATE may name: '
'all but the GENERATED ones, which PostgreSQL computes from other columns (_recon.fix_move, '
'_recon.fix_post_first_sql).';

REVOKE EXECUTE ON FUNCTION _recon.writable_balance_columns(_recon.wallet_source) FROM PUBLIC;
