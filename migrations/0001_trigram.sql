-- Fuzzy matching of authority names and request titles (similarity(), %, ILIKE).
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "authorities_name_trgm" ON "authorities" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "requests_title_trgm" ON "requests" USING gin ("title" gin_trgm_ops);
