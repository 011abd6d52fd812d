-- The opt-out list is read newest first, a page at a time (`GET /v1/optouts` with a cursor):
-- an index in that order, so a page is a range scan however long the list is.
CREATE INDEX IF NOT EXISTS optouts_by_time ON optouts (at, short_code, subscriber);
