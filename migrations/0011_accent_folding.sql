-- Search folded case but not accents: "Ynys Mon" did not find Ynys Môn, nor "cafe" café, nor "Zoe" Zoë. wdtk_english is
-- Postgres's english configuration with unaccent before the stemmer, so a word and its query are both read without
-- their accents. Every stored search vector is made again with it.
CREATE EXTENSION IF NOT EXISTS unaccent;--> statement-breakpoint
CREATE TEXT SEARCH CONFIGURATION wdtk_english (COPY = english);--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION wdtk_english ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;--> statement-breakpoint
CREATE OR REPLACE FUNCTION page_search_vector(page_text text) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  kept integer := 400000;
BEGIN
  LOOP
    BEGIN
      RETURN to_tsvector('wdtk_english', left(page_text, kept));
    EXCEPTION WHEN program_limit_exceeded THEN
      kept := kept / 2;
    END;
  END LOOP;
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION request_search_vector(title text, body_text text) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  kept integer := 400000;
BEGIN
  LOOP
    BEGIN
      RETURN setweight(to_tsvector('wdtk_english', left(coalesce(title, ''), 10000)), 'A')
          || setweight(to_tsvector('wdtk_english', left(coalesce(body_text, ''), kept)), 'B');
    EXCEPTION WHEN program_limit_exceeded THEN
      kept := kept / 2;
    END;
  END LOOP;
END $$;--> statement-breakpoint
UPDATE search_pages h SET search = page_search_vector(dp.text) FROM document_pages dp WHERE dp.sha256 = h.sha256 AND dp.page = h.page;--> statement-breakpoint
ALTER TABLE "requests" DROP COLUMN "search";--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (request_search_vector("requests"."title", "requests"."body_text")) STORED;--> statement-breakpoint
ALTER TABLE "requests" ALTER COLUMN "search" SET STORAGE MAIN;--> statement-breakpoint
CREATE INDEX "requests_search" ON "requests" USING gin ("search");
