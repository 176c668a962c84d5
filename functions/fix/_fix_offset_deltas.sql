-- _recon.fix_offset_deltas(): what a posting moves its offset wallet by.
CREATE OR REPLACE FUNCTION _recon.fix_offset_deltas(p_posting jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT COALESCE(p_posting -> 'offset_deltas',
                    (SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                     FROM jsonb_each_text(p_posting -> 'deltas') AS d),
                    '{}');
$body$;

COMMENT ON FUNCTION _recon.fix_offset_deltas(jsonb) IS
'{column: delta} a planned posting moves its offset wallet by: its "offset_deltas" (the other '
'leg of a transfer row whose rule moves other columns, e.g. monotonic counters; '
'_recon.fix_offset_legs), else exactly the opposite of its deltas. Whether it has an offset '
'wallet at all is the caller''s to tell.';

REVOKE EXECUTE ON FUNCTION _recon.fix_offset_deltas(jsonb) FROM PUBLIC;
