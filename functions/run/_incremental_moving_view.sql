-- _recon.incremental_moving_view(): can a view's rows change while no table changes?
CREATE OR REPLACE FUNCTION _recon.incremental_moving_view(p_view oid)
RETURNS boolean
LANGUAGE sql
STABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A function or operator that is not IMMUTABLE (now(), a cast from timestamptz to date,
    -- a lookup) or a CURRENT_DATE-like value in the view's query: an entry can enter the view
    -- as time passes, below the watermark, without any write that statistics would count.
    SELECT EXISTS (
        SELECT FROM pg_catalog.pg_rewrite AS r
        CROSS JOIN LATERAL regexp_matches(r.ev_action::text, ':(?:funcid|opfuncid) (\d+)', 'g')
            AS m (f)
        JOIN pg_catalog.pg_proc AS p ON p.oid = m.f[1]::oid
        WHERE r.ev_class = p_view AND p.provolatile <> 'i'
    ) OR EXISTS (
        SELECT FROM pg_catalog.pg_rewrite AS r
        WHERE r.ev_class = p_view AND r.ev_action::text LIKE '%{SQLVALUEFUNCTION%'
    );
$body$;

COMMENT ON FUNCTION _recon.incremental_moving_view(oid) IS
'TRUE when a view''s query calls a function or operator that is not IMMUTABLE (now(), a '
'timestamptz cast) or reads CURRENT_DATE and the like: its rows can change with no write to '
'any table, so incremental mode, which sees only writes, refuses it.';

REVOKE EXECUTE ON FUNCTION _recon.incremental_moving_view(oid) FROM PUBLIC;
