-- A SageMaker version number is reused when a package is deleted and made again: what the journal keeps of a
-- package (its details, its central copy) is keyed by the package's creation time too, in epoch milliseconds.
-- Rows written before this migration have none and count for the package of their version number.
ALTER TABLE journal_version_details ADD COLUMN package_created INTEGER;
ALTER TABLE journal_copy_claims ADD COLUMN source_created INTEGER;
