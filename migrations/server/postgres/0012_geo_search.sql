-- Searches by distance go by place (`store::search`, `Dialect::lateral_joins`): they skip
-- from one distinct (lat, lng) of published events to the next, then read each place's
-- events in date order, both in this index. Same schema version as
-- ../sqlite/0012_geo_search.sql.
CREATE INDEX events_published_by_place ON events (lat, lng, starts_at, id)
    WHERE status = 'published';
