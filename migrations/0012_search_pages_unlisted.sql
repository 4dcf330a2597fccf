-- A backpage request is public by its link, but the site keeps it off its listings and out of its search, and sends it
-- with X-Robots-Tag: noindex: often a request it has demoted for what it holds about people. Search here left it in.
-- search_pages.unlisted holds it out of page hits as removed does for removed requests; requests are filtered on
-- prominence directly.
ALTER TABLE "search_pages" ADD COLUMN "unlisted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_pages_rebuild(request_ids integer[], shas text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM search_pages h USING unnest(request_ids, shas) AS x(request_id, sha256)
  WHERE h.request_id = x.request_id AND h.sha256 = x.sha256;
  INSERT INTO search_pages (request_id, sha256, page, attachment_id, site_id, authority_id, requester_id, status, created, removed, unlisted, type, search)
  SELECT r.id, dp.sha256, dp.page, att.id, r.site_id, r.authority_id, r.requester_id, r.status, r.remote_created_at,
         r.removed_at IS NOT NULL, r.prominence = 'backpage', b.sniffed_type, page_search_vector(dp.text)
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
  INSERT INTO search_pages (request_id, sha256, page, attachment_id, site_id, authority_id, requester_id, status, created, removed, unlisted, type, search)
  SELECT r.id, p.sha256, p.page, att.id, r.site_id, r.authority_id, r.requester_id, r.status, r.remote_created_at,
         r.removed_at IS NOT NULL, r.prominence = 'backpage', b.sniffed_type, page_search_vector(p.text)
  FROM changed_pages p
  JOIN attachments att ON att.sha256 = p.sha256 AND NOT att.hidden AND att.removed_at IS NULL
  JOIN requests r ON r.id = att.request_id
  LEFT JOIN blobs b ON b.sha256 = p.sha256
  WHERE NOT EXISTS (SELECT 1 FROM attachments first WHERE first.request_id = att.request_id AND first.sha256 = att.sha256
                    AND NOT first.hidden AND first.removed_at IS NULL AND first.id < att.id);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_pages_on_requests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search_pages h
  SET site_id = n.site_id, authority_id = n.authority_id, requester_id = n.requester_id, status = n.status,
      created = n.remote_created_at, removed = n.removed_at IS NOT NULL, unlisted = n.prominence = 'backpage'
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE h.request_id = n.id
    AND (n.site_id, n.authority_id, n.requester_id, n.status, n.remote_created_at, n.removed_at IS NULL, n.prominence = 'backpage')
        IS DISTINCT FROM (o.site_id, o.authority_id, o.requester_id, o.status, o.remote_created_at, o.removed_at IS NULL, o.prominence = 'backpage');
  RETURN NULL;
END $$;--> statement-breakpoint
UPDATE search_pages h SET unlisted = true FROM requests r WHERE r.id = h.request_id AND r.prominence = 'backpage';
