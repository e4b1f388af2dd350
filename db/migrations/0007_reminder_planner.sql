-- The reminder planner reads every open item at once (not cluster by cluster): partial
-- indexes over the open ones, in the planner's order, so closed history is never scanned.
CREATE INDEX requests_open ON requests (cluster_id, deadline_at, id) WHERE status = 'open';
CREATE INDEX meetings_scheduled ON meetings (cluster_id, starts_at, id)
    WHERE status = 'scheduled';
