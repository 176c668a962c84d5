-- recon.discrepancies moves to the repeatable layer (views/discrepancies.sql), over the function
-- _recon.discrepancies(): it was a UNION ALL of the checks' views, rebuilt by
-- _recon.rebuild_discrepancies(), and so depended on the user's tables through them (a DROP
-- SCHEMA ... CASCADE of a checked schema dropped it). The old view goes; the repeatable layer,
-- applied after this migration, creates the new one.
DROP VIEW recon.discrepancies;
