-- _recon.tg_append_only(sqlstate, hint, message): the toolkit's evidence tables are append-only.
CREATE OR REPLACE FUNCTION _recon.tg_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- trigger arguments: the SQLSTATE, the hint, the message
    RAISE EXCEPTION USING
        ERRCODE = tg_argv[0],
        MESSAGE = tg_argv[2],
        DETAIL = format('%s on %s.%s was rejected.', tg_op, tg_table_schema, tg_table_name),
        HINT = tg_argv[1];
END;
$body$;

COMMENT ON FUNCTION _recon.tg_append_only() IS
'Trigger function: rejects the UPDATE, DELETE or TRUNCATE it fires on, with the SQLSTATE, hint '
'and message given as its three trigger arguments (the install history: RC001; the repair '
'audit: RC300). One function for every append-only table of the toolkit''s own.';

REVOKE EXECUTE ON FUNCTION _recon.tg_append_only() FROM PUBLIC;
