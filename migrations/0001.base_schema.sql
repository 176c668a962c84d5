-- 0001 base schema: the public API schema and the toolkit's two roles.
-- Migrations run with search_path = _recon; every name is qualified anyway.

-- Roles are cluster-wide and created only if missing (another database may
-- already have them, or the DBA may have made them first). A concurrent
-- installer in another database can win the race; that is not an error.
DO $roles$
DECLARE
    v_role text;
    v_comment text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['recon_auditor', 'recon_operator'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
                v_comment := CASE v_role
                    WHEN 'recon_auditor' THEN
                        'wallet-recon: may run checks and read findings; no writes.'
                    ELSE
                        'wallet-recon: recon_auditor plus repairs (fix).'
                END;
                EXECUTE format('COMMENT ON ROLE %I IS %L', v_role, v_comment);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                RAISE NOTICE 'role % was created concurrently by another installer', v_role;
            END;
        END IF;
    END LOOP;
END
$roles$;

-- recon_operator includes recon_auditor. Role membership is cluster-wide too: a concurrent
-- first install in another database may grant it at the same moment.
DO $grant$
BEGIN
    IF NOT pg_catalog.pg_has_role('recon_operator', 'recon_auditor', 'MEMBER') THEN
        BEGIN
            GRANT recon_auditor TO recon_operator;
        EXCEPTION WHEN unique_violation THEN
            RAISE NOTICE 'recon_operator was made a member of recon_auditor concurrently';
        END;
    END IF;
END
$grant$;

CREATE SCHEMA recon;
COMMENT ON SCHEMA recon IS
'wallet-recon public API: the views and functions a DBA calls. See \dv recon.* and \df+ recon.*';

REVOKE ALL ON SCHEMA recon FROM PUBLIC;
GRANT USAGE ON SCHEMA recon TO recon_auditor, recon_operator;
-- Functions are created EXECUTE-able by PUBLIC, and per-schema default privileges cannot
-- take that away: every function file revokes it itself (tests/test_schema.py checks).
