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
	CONSTRAINT "search_pages_request_id_sha256_page_pk" PRIMARY KEY("request_id","sha256","page")
);
--> statement-breakpoint
DROP INDEX "document_pages_search";--> statement-breakpoint
ALTER TABLE "search_pages" ADD CONSTRAINT "search_pages_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_pages" ADD CONSTRAINT "search_pages_attachment_id_attachments_id_fk" FOREIGN KEY ("attachment_id") REFERENCES "public"."attachments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_pages" ADD CONSTRAINT "search_pages_sha256_page_document_pages_sha256_page_fk" FOREIGN KEY ("sha256","page") REFERENCES "public"."document_pages"("sha256","page") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "search_pages_search" ON "search_pages" USING gin ("search");--> statement-breakpoint
CREATE INDEX "search_pages_created" ON "search_pages" USING btree ("created" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "search_pages_status_created" ON "search_pages" USING btree ("status","created" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "search_pages_authority" ON "search_pages" USING btree ("authority_id");--> statement-breakpoint
CREATE INDEX "search_pages_requester" ON "search_pages" USING btree ("requester_id");--> statement-breakpoint
ALTER TABLE "document_pages" DROP COLUMN "search";--> statement-breakpoint
-- search_pages is kept by the triggers below: rows for (request, blob) pairs are rebuilt when pages or
-- attachments change, and the copied request and blob columns follow their updates.
CREATE FUNCTION search_pages_rebuild(request_ids integer[], shas text[]) RETURNS void LANGUAGE sql AS $$
  DELETE FROM search_pages h USING unnest(request_ids, shas) AS x(request_id, sha256)
  WHERE h.request_id = x.request_id AND h.sha256 = x.sha256;
  INSERT INTO search_pages (request_id, sha256, page, attachment_id, site_id, authority_id, requester_id, status, created, removed, type, search)
  SELECT r.id, dp.sha256, dp.page, att.id, r.site_id, r.authority_id, r.requester_id, r.status, r.remote_created_at,
         r.removed_at IS NOT NULL, b.sniffed_type, to_tsvector('english', left(dp.text, 400000))
  FROM (SELECT DISTINCT * FROM unnest(request_ids, shas) AS x(request_id, sha256) WHERE x.sha256 IS NOT NULL) x
  JOIN attachments att ON att.request_id = x.request_id AND att.sha256 = x.sha256 AND NOT att.hidden AND att.removed_at IS NULL
  JOIN requests r ON r.id = att.request_id
  JOIN document_pages dp ON dp.sha256 = att.sha256
  LEFT JOIN blobs b ON b.sha256 = att.sha256
  WHERE NOT EXISTS (SELECT 1 FROM attachments first WHERE first.request_id = att.request_id AND first.sha256 = att.sha256
                    AND NOT first.hidden AND first.removed_at IS NULL AND first.id < att.id);
$$;--> statement-breakpoint
CREATE FUNCTION search_pages_on_pages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM search_pages h USING changed_pages p WHERE h.sha256 = p.sha256 AND h.page = p.page;
  END IF;
  INSERT INTO search_pages (request_id, sha256, page, attachment_id, site_id, authority_id, requester_id, status, created, removed, type, search)
  SELECT r.id, p.sha256, p.page, att.id, r.site_id, r.authority_id, r.requester_id, r.status, r.remote_created_at,
         r.removed_at IS NOT NULL, b.sniffed_type, to_tsvector('english', left(p.text, 400000))
  FROM changed_pages p
  JOIN attachments att ON att.sha256 = p.sha256 AND NOT att.hidden AND att.removed_at IS NULL
  JOIN requests r ON r.id = att.request_id
  LEFT JOIN blobs b ON b.sha256 = p.sha256
  WHERE NOT EXISTS (SELECT 1 FROM attachments first WHERE first.request_id = att.request_id AND first.sha256 = att.sha256
                    AND NOT first.hidden AND first.removed_at IS NULL AND first.id < att.id);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER search_pages_pages_inserted AFTER INSERT ON document_pages REFERENCING NEW TABLE AS changed_pages
  FOR EACH STATEMENT EXECUTE FUNCTION search_pages_on_pages();--> statement-breakpoint
CREATE TRIGGER search_pages_pages_updated AFTER UPDATE ON document_pages REFERENCING NEW TABLE AS changed_pages
  FOR EACH STATEMENT EXECUTE FUNCTION search_pages_on_pages();--> statement-breakpoint
CREATE FUNCTION search_pages_on_attachments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  request_ids integer[];
  shas text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(n.request_id), array_agg(n.sha256) INTO request_ids, shas FROM new_rows n WHERE n.sha256 IS NOT NULL;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(o.request_id), array_agg(o.sha256) INTO request_ids, shas FROM old_rows o WHERE o.sha256 IS NOT NULL;
  ELSE
    -- only changes that move a page in or out of search (crawls touch other columns often)
    SELECT array_agg(x.request_id), array_agg(x.sha256) INTO request_ids, shas
    FROM new_rows n JOIN old_rows o ON o.id = n.id,
         LATERAL (VALUES (n.request_id, n.sha256), (o.request_id, o.sha256)) AS x(request_id, sha256)
    WHERE (n.request_id, n.sha256, n.hidden, n.removed_at IS NULL) IS DISTINCT FROM (o.request_id, o.sha256, o.hidden, o.removed_at IS NULL);
  END IF;
  IF request_ids IS NOT NULL THEN
    PERFORM search_pages_rebuild(request_ids, shas);
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER search_pages_attachments_inserted AFTER INSERT ON attachments REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION search_pages_on_attachments();--> statement-breakpoint
CREATE TRIGGER search_pages_attachments_updated AFTER UPDATE ON attachments REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION search_pages_on_attachments();--> statement-breakpoint
CREATE TRIGGER search_pages_attachments_deleted AFTER DELETE ON attachments REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION search_pages_on_attachments();--> statement-breakpoint
CREATE FUNCTION search_pages_on_requests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search_pages h
  SET site_id = n.site_id, authority_id = n.authority_id, requester_id = n.requester_id, status = n.status,
      created = n.remote_created_at, removed = n.removed_at IS NOT NULL
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE h.request_id = n.id
    AND (n.site_id, n.authority_id, n.requester_id, n.status, n.remote_created_at, n.removed_at IS NULL)
        IS DISTINCT FROM (o.site_id, o.authority_id, o.requester_id, o.status, o.remote_created_at, o.removed_at IS NULL);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER search_pages_requests_updated AFTER UPDATE ON requests REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION search_pages_on_requests();--> statement-breakpoint
CREATE FUNCTION search_pages_on_blobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search_pages h SET type = n.sniffed_type
  FROM new_rows n JOIN old_rows o ON o.sha256 = n.sha256
  WHERE h.sha256 = n.sha256 AND n.sniffed_type IS DISTINCT FROM o.sniffed_type;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER search_pages_blobs_updated AFTER UPDATE ON blobs REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION search_pages_on_blobs();--> statement-breakpoint
SELECT search_pages_rebuild(array_agg(request_id), array_agg(sha256))
FROM (SELECT DISTINCT request_id, sha256 FROM attachments WHERE sha256 IS NOT NULL) pairs;
