-- Each reminder tick looks for closed polls whose result has not reached the group yet: an
-- index over just those, so the closed history is never scanned (tests/db/test_query_plans.py).
CREATE INDEX polls_unposted ON polls (id) WHERE status = 'closed' AND result_posted = 0;
