-- search_pages partitioned by the request's status. A word with a status filter (and maybe dates) used to
-- build the GIN bitmap of every page holding the word (114,665 pages for a common word in 1,000,000) before a
-- (status, created) bitmap cut it to a few thousand; with one GIN index per partition the filter prunes to one
-- partition and its bitmap is a fraction of that. The busiest statuses get their own partition; the waiting
-- ones share one; the rest share the default. A status change moves the request's rows (the trigger's UPDATE).
ALTER TABLE "search_pages" RENAME TO "search_pages_unpartitioned";--> statement-breakpoint
CREATE TABLE "search_pages" (
	"request_id" integer NOT NULL,
	"sha256" text NOT NULL,
	"page" integer NOT NULL,
	"attachment_id" integer NOT NULL,
	"site_id" integer NOT NULL,
	"authority_id" integer NOT NULL,
	"requester_id" integer,
	"status" text NOT NULL,
	"created" timestamp with time zone,
	"removed" boolean NOT NULL,
	"type" text,
	"search" "tsvector" NOT NULL,
	CONSTRAINT "search_pages_request_id_sha256_page_status_pk" PRIMARY KEY("request_id","sha256","page","status")
) PARTITION BY LIST ("status");--> statement-breakpoint
CREATE TABLE "search_pages_successful" PARTITION OF "search_pages" FOR VALUES IN ('successful');--> statement-breakpoint
CREATE TABLE "search_pages_partially_successful" PARTITION OF "search_pages" FOR VALUES IN ('partially_successful');--> statement-breakpoint
CREATE TABLE "search_pages_waiting" PARTITION OF "search_pages" FOR VALUES IN
	('waiting_response', 'waiting_response_overdue', 'waiting_response_very_overdue', 'waiting_classification',
	 'waiting_clarification', 'internal_review');--> statement-breakpoint
CREATE TABLE "search_pages_not_held" PARTITION OF "search_pages" FOR VALUES IN ('not_held');--> statement-breakpoint
CREATE TABLE "search_pages_rejected" PARTITION OF "search_pages" FOR VALUES IN ('rejected');--> statement-breakpoint
CREATE TABLE "search_pages_other" PARTITION OF "search_pages" DEFAULT;--> statement-breakpoint
INSERT INTO "search_pages" ("request_id", "sha256", "page", "attachment_id", "site_id", "authority_id", "requester_id", "status", "created", "removed", "type", "search")
SELECT "request_id", "sha256", "page", "attachment_id", "site_id", "authority_id", "requester_id", "status", "created", "removed", "type", "search"
FROM "search_pages_unpartitioned";--> statement-breakpoint
DROP TABLE "search_pages_unpartitioned";--> statement-breakpoint
ALTER TABLE "search_pages" ADD CONSTRAINT "search_pages_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_pages" ADD CONSTRAINT "search_pages_attachment_id_attachments_id_fk" FOREIGN KEY ("attachment_id") REFERENCES "public"."attachments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_pages" ADD CONSTRAINT "search_pages_sha256_page_document_pages_sha256_page_fk" FOREIGN KEY ("sha256","page") REFERENCES "public"."document_pages"("sha256","page") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "search_pages_search" ON "search_pages" USING gin ("search");--> statement-breakpoint
CREATE INDEX "search_pages_created" ON "search_pages" USING btree ("created" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "search_pages_status_created" ON "search_pages" USING btree ("status","created" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "search_pages_authority" ON "search_pages" USING btree ("authority_id");--> statement-breakpoint
CREATE INDEX "search_pages_requester" ON "search_pages" USING btree ("requester_id");--> statement-breakpoint
ANALYZE "search_pages";
