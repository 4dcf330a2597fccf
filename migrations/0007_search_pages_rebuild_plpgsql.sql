-- search_pages_rebuild was a LANGUAGE sql function, which Postgres plans afresh on every call: 2.7-3.8 ms of
-- planning (six partitions, five joins) for every statement that inserts or updates attachments, where running it
-- takes 0.1 ms. PL/pgSQL keeps its statements' plans for the session. Same statements, same signature.
CREATE OR REPLACE FUNCTION search_pages_rebuild(request_ids integer[], shas text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
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
END $$;
