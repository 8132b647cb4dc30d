-- Consent v2: the Enedis authorisation a usage point was shared through, and the day its
-- service started (one activation attaches a meter once).

ALTER TABLE usage_points ADD COLUMN autorisation_id text;
ALTER TABLE usage_points ADD COLUMN service_start date;
CREATE INDEX usage_points_point ON usage_points (usage_point_id);
