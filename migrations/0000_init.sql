CREATE TABLE "attachments" (
	"id" serial PRIMARY KEY NOT NULL,
	"request_id" integer NOT NULL,
	"incoming_message_id" integer NOT NULL,
	"part" integer NOT NULL,
	"remote_id" integer,
	"filename" text,
	"content_type" text,
	"source_url" text,
	"sha256" text,
	"size" bigint,
	"capture_id" integer,
	"fetched_at" timestamp with time zone,
	"hidden" boolean DEFAULT false NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "authorities" (
	"id" serial PRIMARY KEY NOT NULL,
	"site_id" integer NOT NULL,
	"remote_id" integer,
	"url_name" text NOT NULL,
	"name" text NOT NULL,
	"short_name" text,
	"tags" jsonb,
	"raw" jsonb,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "blobs" (
	"sha256" text PRIMARY KEY NOT NULL,
	"size" bigint NOT NULL,
	"sniffed_type" text,
	"mime" text,
	"storage_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"verified_at" timestamp with time zone,
	"extraction_status" text,
	"extracted_at" timestamp with time zone,
	"page_count" integer,
	"needs_ocr" boolean,
	"metadata" jsonb,
	"warnings" jsonb
);
--> statement-breakpoint
CREATE TABLE "captures" (
	"id" serial PRIMARY KEY NOT NULL,
	"site_id" integer NOT NULL,
	"run_id" integer,
	"request_id" integer,
	"url" text NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"status" integer NOT NULL,
	"method" text DEFAULT 'GET' NOT NULL,
	"request_headers" jsonb NOT NULL,
	"response_headers" jsonb NOT NULL,
	"sha256" text,
	"size" bigint,
	"kind" text NOT NULL,
	"snapshot_pdf_sha256" text,
	"snapshot_png_sha256" text
);
--> statement-breakpoint
CREATE TABLE "document_pages" (
	"sha256" text NOT NULL,
	"page" integer NOT NULL,
	"text" text NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', left("document_pages"."text", 400000))) STORED,
	CONSTRAINT "document_pages_sha256_page_pk" PRIMARY KEY("sha256","page")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" serial PRIMARY KEY NOT NULL,
	"request_id" integer NOT NULL,
	"kind" text NOT NULL,
	"message_id" integer NOT NULL,
	"event_id" integer,
	"time" timestamp with time zone,
	"author" text,
	"hidden" boolean DEFAULT false NOT NULL,
	"text" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "frontier" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"url" text NOT NULL,
	"payload" jsonb,
	"priority" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"not_before" timestamp with time zone,
	"claimed_at" timestamp with time zone,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" serial PRIMARY KEY NOT NULL,
	"sha256" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"claimed_by" text,
	"claimed_at" timestamp with time zone,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "jobs_sha256_unique" UNIQUE("sha256")
);
--> statement-breakpoint
CREATE TABLE "request_history" (
	"id" serial PRIMARY KEY NOT NULL,
	"request_id" integer NOT NULL,
	"run_id" integer,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"change" text NOT NULL,
	"from_value" text,
	"to_value" text,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "requests" (
	"id" serial PRIMARY KEY NOT NULL,
	"site_id" integer NOT NULL,
	"remote_id" integer NOT NULL,
	"url_title" text NOT NULL,
	"title" text NOT NULL,
	"authority_id" integer NOT NULL,
	"requester_id" integer,
	"described_state" text,
	"status" text NOT NULL,
	"status_label" text,
	"prominence" text DEFAULT 'normal' NOT NULL,
	"remote_created_at" timestamp with time zone,
	"remote_updated_at" timestamp with time zone,
	"remote_event_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"raw" jsonb,
	"body_text" text DEFAULT '' NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english', left(coalesce("requests"."title", ''), 10000)), 'A') || setweight(to_tsvector('english', left(coalesce("requests"."body_text", ''), 400000)), 'B')) STORED,
	"first_archived_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_checked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone,
	"removal_reason" text
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"site_id" integer,
	"scope" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"outcome" text DEFAULT 'running' NOT NULL,
	"counters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	"pid" integer,
	"host" text
);
--> statement-breakpoint
CREATE TABLE "sites" (
	"id" serial PRIMARY KEY NOT NULL,
	"base_url" text NOT NULL,
	"name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sites_base_url_unique" UNIQUE("base_url")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"site_id" integer NOT NULL,
	"remote_id" integer,
	"url_name" text NOT NULL,
	"name" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_sha256_blobs_sha256_fk" FOREIGN KEY ("sha256") REFERENCES "public"."blobs"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_capture_id_captures_id_fk" FOREIGN KEY ("capture_id") REFERENCES "public"."captures"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "authorities" ADD CONSTRAINT "authorities_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_sha256_blobs_sha256_fk" FOREIGN KEY ("sha256") REFERENCES "public"."blobs"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_snapshot_pdf_sha256_blobs_sha256_fk" FOREIGN KEY ("snapshot_pdf_sha256") REFERENCES "public"."blobs"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "captures" ADD CONSTRAINT "captures_snapshot_png_sha256_blobs_sha256_fk" FOREIGN KEY ("snapshot_png_sha256") REFERENCES "public"."blobs"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_pages" ADD CONSTRAINT "document_pages_sha256_blobs_sha256_fk" FOREIGN KEY ("sha256") REFERENCES "public"."blobs"("sha256") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "frontier" ADD CONSTRAINT "frontier_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_sha256_blobs_sha256_fk" FOREIGN KEY ("sha256") REFERENCES "public"."blobs"("sha256") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_history" ADD CONSTRAINT "request_history_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_history" ADD CONSTRAINT "request_history_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_authority_id_authorities_id_fk" FOREIGN KEY ("authority_id") REFERENCES "public"."authorities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_requester_id_users_id_fk" FOREIGN KEY ("requester_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "attachments_identity" ON "attachments" USING btree ("request_id","incoming_message_id","part");--> statement-breakpoint
CREATE INDEX "attachments_sha256" ON "attachments" USING btree ("sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "authorities_site_url_name" ON "authorities" USING btree ("site_id","url_name");--> statement-breakpoint
CREATE INDEX "captures_url" ON "captures" USING btree ("url");--> statement-breakpoint
CREATE INDEX "captures_sha256" ON "captures" USING btree ("sha256");--> statement-breakpoint
CREATE INDEX "captures_request" ON "captures" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "document_pages_search" ON "document_pages" USING gin ("search");--> statement-breakpoint
CREATE UNIQUE INDEX "events_identity" ON "events" USING btree ("request_id","kind","message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "frontier_run_key" ON "frontier" USING btree ("run_id","key");--> statement-breakpoint
CREATE INDEX "frontier_claim" ON "frontier" USING btree ("run_id","status","priority");--> statement-breakpoint
CREATE INDEX "jobs_status" ON "jobs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "request_history_request" ON "request_history" USING btree ("request_id");--> statement-breakpoint
CREATE UNIQUE INDEX "requests_site_remote_id" ON "requests" USING btree ("site_id","remote_id");--> statement-breakpoint
CREATE INDEX "requests_site_url_title" ON "requests" USING btree ("site_id","url_title");--> statement-breakpoint
CREATE INDEX "requests_authority" ON "requests" USING btree ("authority_id");--> statement-breakpoint
CREATE INDEX "requests_requester" ON "requests" USING btree ("requester_id");--> statement-breakpoint
CREATE INDEX "requests_remote_created_at" ON "requests" USING btree ("remote_created_at");--> statement-breakpoint
CREATE INDEX "requests_search" ON "requests" USING gin ("search");--> statement-breakpoint
CREATE UNIQUE INDEX "users_site_url_name" ON "users" USING btree ("site_id","url_name");