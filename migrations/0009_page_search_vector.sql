-- A page was indexed as to_tsvector('english', left(text, 400000)), which fails outright when the words of those
-- characters make a tsvector over Postgres's 1 MB (distinct words in a non-Latin script get there in 200,000
-- characters): the page's document failed extraction, and a thread holding an already extracted copy could not be
-- archived. page_search_vector indexes as much of the page as fits instead, halving what it takes until it does.
CREATE FUNCTION page_search_vector(page_text text) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  kept integer := 400000;
BEGIN
  LOOP
    BEGIN
      RETURN to_tsvector('english', left(page_text, kept));
    EXCEPTION WHEN program_limit_exceeded THEN
      kept := kept / 2;
    END;
  END LOOP;
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_pages_rebuild(request_ids integer[], shas text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM search_pages h USING unnest(request_ids, shas) AS x(request_id, sha256)
  WHERE h.request_id = x.request_id AND h.sha256 = x.sha256;
  INSERT INTO search_pages (request_id, sha256, page, attachment_id, site_id, authority_id, requester_id, status, created, removed, type, search)
  SELECT r.id, dp.sha256, dp.page, att.id, r.site_id, r.authority_id, r.requester_id, r.status, r.remote_created_at,
         r.removed_at IS NOT NULL, b.sniffed_type, page_search_vector(dp.text)
  FROM (SELECT DISTINCT * FROM unnest(request_ids, shas) AS x(request_id, sha256) WHERE x.sha256 IS NOT NULL) x
  JOIN attachments att ON att.request_id = x.request_id AND att.sha256 = x.sha256 AND NOT att.hidden AND att.removed_at IS NULL
  JOIN requests r ON r.id = att.request_id
  JOIN document_pages dp ON dp.sha256 = att.sha256
  LEFT JOIN blobs b ON b.sha256 = att.sha256
  WHERE NOT EXISTS (SELECT 1 FROM attachments first WHERE first.request_id = att.request_id AND first.sha256 = att.sha256
                    AND NOT first.hidden AND first.removed_at IS NULL AND first.id < att.id);
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_pages_on_pages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM search_pages h USING changed_pages p WHERE h.sha256 = p.sha256 AND h.page = p.page;
  END IF;
  INSERT INTO search_pages (request_id, sha256, page, attachment_id, site_id, authority_id, requester_id, status, created, removed, type, search)
  SELECT r.id, p.sha256, p.page, att.id, r.site_id, r.authority_id, r.requester_id, r.status, r.remote_created_at,
         r.removed_at IS NOT NULL, b.sniffed_type, page_search_vector(p.text)
  FROM changed_pages p
  JOIN attachments att ON att.sha256 = p.sha256 AND NOT att.hidden AND att.removed_at IS NULL
  JOIN requests r ON r.id = att.request_id
  LEFT JOIN blobs b ON b.sha256 = p.sha256
  WHERE NOT EXISTS (SELECT 1 FROM attachments first WHERE first.request_id = att.request_id AND first.sha256 = att.sha256
                    AND NOT first.hidden AND first.removed_at IS NULL AND first.id < att.id);
  RETURN NULL;
END $$;
