-- A request's row is larger than a heap page's share (2 kB), so its biggest values leave the row: keep
-- the tsvector in it (compressed if need be) and let the body text go instead. Ranking and matching read
-- the tsvector of every candidate; the body is only read for the headlines of one page of hits.
ALTER TABLE "requests" ALTER COLUMN "search" SET STORAGE MAIN;
