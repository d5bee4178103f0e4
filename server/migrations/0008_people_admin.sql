-- Admin is an organisation role, not a project persona: the development directory keeps it apart from the
-- project grants (which a project's members list can add to, and which can never hold Admin).
ALTER TABLE people ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
