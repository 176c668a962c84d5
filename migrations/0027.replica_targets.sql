-- 0027 replica targets (issue 21, review finding): a run read on a standby is recorded on the
-- primary only against a target the primary handed out, once, to the same caller, before it
-- expires. recon.replica_target() records it here; recon.record_replica_run() marks it used in
-- the transaction that records the run (a second submit of the same target finds it used).
CREATE TABLE _recon.replica_target (
    token uuid PRIMARY KEY,
    lsn pg_lsn NOT NULL,
    system_identifier text NOT NULL,
    toolkit_version text NOT NULL,
    taken_by name NOT NULL,
    taken_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    run_id bigint REFERENCES _recon.run (id) ON DELETE SET NULL,
    CONSTRAINT replica_target_expiry CHECK (expires_at > taken_at)
);
REVOKE ALL ON _recon.replica_target FROM PUBLIC;
COMMENT ON TABLE _recon.replica_target IS
'The targets recon.replica_target() handed out on the primary for a run read on a standby '
'(docs/SCALING.md, "Checks on a standby"): recon.record_replica_run() records a result only '
'for an unused, unexpired target of the same caller, and marks it used in the same '
'transaction. The toolkit''s alone (SECURITY DEFINER functions write it).';
COMMENT ON COLUMN _recon.replica_target.token IS
'Random (gen_random_uuid()): names the target in the result the standby returns.';
COMMENT ON COLUMN _recon.replica_target.lsn IS
'The primary''s WAL insert position when the target was taken.';
COMMENT ON COLUMN _recon.replica_target.system_identifier IS
'The primary''s system identifier (pg_control_system()).';
COMMENT ON COLUMN _recon.replica_target.toolkit_version IS 'recon.version() then.';
COMMENT ON COLUMN _recon.replica_target.taken_by IS
'Who took it (the role the session had set, else its login): only they may record it.';
COMMENT ON COLUMN _recon.replica_target.taken_at IS 'When it was taken (clock_timestamp()).';
COMMENT ON COLUMN _recon.replica_target.expires_at IS
'After this a result of it is refused (RC225).';
COMMENT ON COLUMN _recon.replica_target.used_at IS
'When a result of it was recorded (NULL: unused); a target is used once.';
COMMENT ON COLUMN _recon.replica_target.run_id IS 'The run its result was recorded as.';
