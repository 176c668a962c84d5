-- _recon.fix_moves_less(): a map of stored-balance moves, less what has moved already.
CREATE OR REPLACE FUNCTION _recon.fix_moves_less(p_moves jsonb, p_source text, p_moved jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT jsonb_set(
        COALESCE(p_moves, '{}'::jsonb), ARRAY[p_source],
        COALESCE(p_moves -> p_source, '{}'::jsonb) || COALESCE((
            SELECT jsonb_object_agg(w.key, COALESCE(p_moves -> p_source -> w.key, '{}'::jsonb)
                                           || COALESCE((
                SELECT jsonb_object_agg(c.key,
                                        COALESCE((p_moves -> p_source -> w.key ->> c.key)::numeric,
                                                 0) - c.value::numeric)
                FROM jsonb_each_text(w.value) AS c), '{}'::jsonb))
            FROM jsonb_each(p_moved) AS w), '{}'::jsonb));
$body$;

COMMENT ON FUNCTION _recon.fix_moves_less(jsonb, text, jsonb) IS
'{source: {wallet: {column: delta}}} (the moves _recon.fix_move adds) less p_moved ({wallet: '
'{column: delta}}, what a ledger-first posting moved in wallet source p_source); a wallet it '
'names stays in the map with a delta of 0, so that _recon.fix_move writes (and versions) it.';

REVOKE EXECUTE ON FUNCTION _recon.fix_moves_less(jsonb, text, jsonb) FROM PUBLIC;
