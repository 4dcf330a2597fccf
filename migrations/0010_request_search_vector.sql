-- A request was indexed as to_tsvector('english', left(body_text, 400000)), which fails outright when the words of
-- its messages make a tsvector over Postgres's 1 MB, as distinct words in a non-Latin script do in 200,000
-- characters: the thread could not be stored at all. request_search_vector indexes as much of the body as fits
-- instead, halving what it takes until it does, as page_search_vector does for a document's page. PostgreSQL 15
-- cannot change a generated column's expression, so the column (with its index and storage) is made again.
CREATE FUNCTION request_search_vector(title text, body_text text) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  kept integer := 400000;
BEGIN
  LOOP
    BEGIN
      RETURN setweight(to_tsvector('english', left(coalesce(title, ''), 10000)), 'A')
          || setweight(to_tsvector('english', left(coalesce(body_text, ''), kept)), 'B');
    EXCEPTION WHEN program_limit_exceeded THEN
      kept := kept / 2;
    END;
  END LOOP;
END $$;--> statement-breakpoint
ALTER TABLE "requests" DROP COLUMN "search";--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (request_search_vector("requests"."title", "requests"."body_text")) STORED;--> statement-breakpoint
ALTER TABLE "requests" ALTER COLUMN "search" SET STORAGE MAIN;--> statement-breakpoint
CREATE INDEX "requests_search" ON "requests" USING gin ("search");
