-- The FOI and EI exemptions a text cites, as codes: 'FOIA s40', 'FOISA s38', 'EIR 12(5)(e)', 'EIR 13', 'EIRS 10(4)(a)',
-- 'EIRS 11' (storage/exemptions.ts names them). An authority's message and each page of a document keep theirs in a
-- generated column, filled here for what is already stored, and request_exemptions gathers each request's from what
-- the site shows of it, for search to filter and count by. Only the sections and regulations that withhold or refuse
-- count: "section 1(1)" or "section 17" is procedure, not a reason. A section followed by "of the <another law>" is
-- that law's. A text naming the Scottish Act or Regulations is read by their numbers.
CREATE FUNCTION cited_exemptions(body text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  -- A Scottish authority cites FOISA and the Scottish EIRs, whose numbers mean other things than the UK Acts'.
  scottish boolean;
  -- The first word of an "of the ..." after a citation that names the FOI or EI law ("of the Act", "of FOIA"); any
  -- other ("of the Data Protection Act 2018") makes it a section of another law.
  our_law constant text := '^(freedom|foi|foia|foisa|environmental|eir|eirs|act|regulations|above|said|same)$';
  -- The word before "Act" or "Regulations" when a citation follows it in brackets: "Freedom of Information Act 2000
  -- (section 40)" is ours, "Copyright, Designs and Patents Act 1998 (sections 29 and 30)" is not.
  our_law_named_before constant text := '^(information|\(?scotland\)?)$';
  -- "Patents Act 1998 (", read with the citation so that it can be told apart.
  named_before constant text := '(\m([a-z()]+)\s+(?:act|regulations)(?:\s+\d{4})?\s*\(\s*)?';
  separators constant text := '\s*(?:,|&|/|\mand\M|\mor\M)\s*';
  found text[] := '{}';
  citation text[];
  item text;
  number text;
  paragraph text;
  letter text;
BEGIN
  IF body IS NULL OR body !~* '\m(sections?|ss?\.|s\d|regulations?|regs?\.?)' THEN
    RETURN found;
  END IF;
  scottish := body ~* '\(scotland\)\s+act|\mfoisa\M|\(scotland\)\s+regulations';
  FOR citation IN
    SELECT regexp_matches(body, named_before || '\m(?:sections?|ss?\.|s(?=\d))\s*(\d+[a-z]?(?:\s*\(\s*[0-9a-z]+\s*\))*(?:' || separators || '\d+[a-z]?(?:\s*\(\s*[0-9a-z]+\s*\))*)*)(\s+of\s+(?:the\s+)?[a-z]+)?', 'gi')
  LOOP
    CONTINUE WHEN citation[2] IS NOT NULL AND lower(citation[2]) !~ our_law_named_before;
    CONTINUE WHEN citation[4] IS NOT NULL AND lower(substring(citation[4] FROM '([a-zA-Z]+)$')) !~ our_law;
    FOREACH item IN ARRAY regexp_split_to_array(citation[3], separators) LOOP
      number := upper(substring(item FROM '^\d+[a-zA-Z]?'));
      IF scottish AND number IN ('12', '14', '25', '26', '27', '28', '29', '30', '31', '32', '33', '34', '35', '36', '37', '38', '39', '40', '41') THEN
        found := found || ('FOISA s' || number);
      ELSIF NOT scottish AND number IN ('12', '14', '21', '22', '22A', '23', '24', '26', '27', '28', '29', '30', '31', '32', '33', '34', '35', '36', '37', '38', '39', '40', '41', '42', '43', '44') THEN
        found := found || ('FOIA s' || number);
      END IF;
    END LOOP;
  END LOOP;
  FOR citation IN
    SELECT regexp_matches(body, named_before || '\m(?:regulations?|regs?\.?|r\.)\s*(\d+(?:\s*\(\s*[0-9a-z]+\s*\))*(?:' || separators || '\d+(?:\s*\(\s*[0-9a-z]+\s*\))*)*)(\s+of\s+(?:the\s+)?[a-z]+)?', 'gi')
  LOOP
    CONTINUE WHEN citation[2] IS NOT NULL AND lower(citation[2]) !~ our_law_named_before;
    CONTINUE WHEN citation[4] IS NOT NULL AND lower(substring(citation[4] FROM '([a-zA-Z]+)$')) !~ our_law;
    FOREACH item IN ARRAY regexp_split_to_array(citation[3], separators) LOOP
      number := substring(item FROM '^\d+');
      paragraph := substring(item FROM '^\d+\s*\(\s*(\d)\s*\)');
      letter := lower(substring(item FROM '^\d+\s*\(\s*\d\s*\)\s*\(\s*([a-z])\s*\)'));
      IF NOT scottish AND number = '12' AND (paragraph = '4' AND letter BETWEEN 'a' AND 'e' OR paragraph = '5' AND letter BETWEEN 'a' AND 'g') THEN
        found := found || ('EIR 12(' || paragraph || ')(' || letter || ')');
      ELSIF NOT scottish AND number = '13' THEN
        found := found || 'EIR 13'::text;
      ELSIF scottish AND number = '10' AND (paragraph = '4' AND letter BETWEEN 'a' AND 'e' OR paragraph = '5' AND letter BETWEEN 'a' AND 'g') THEN
        found := found || ('EIRS 10(' || paragraph || ')(' || letter || ')');
      ELSIF scottish AND number = '11' THEN
        found := found || 'EIRS 11'::text;
      END IF;
    END LOOP;
  END LOOP;
  RETURN ARRAY(SELECT DISTINCT code FROM unnest(found) AS code ORDER BY code);
END $$;--> statement-breakpoint
CREATE TABLE "request_exemptions" (
	"request_id" integer PRIMARY KEY NOT NULL,
	"codes" text[] NOT NULL
);
--> statement-breakpoint
ALTER TABLE "document_pages" ADD COLUMN "exemptions" text[] GENERATED ALWAYS AS (cited_exemptions("document_pages"."text")) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "exemptions" text[] GENERATED ALWAYS AS (case when "events"."kind" = 'incoming' then cited_exemptions("events"."text") end) STORED;--> statement-breakpoint
ALTER TABLE "request_exemptions" ADD CONSTRAINT "request_exemptions_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "request_exemptions_codes" ON "request_exemptions" USING gin ("codes");--> statement-breakpoint
CREATE FUNCTION request_exemptions_refresh(request_ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(request_ids) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM request_exemptions WHERE request_id = ANY(request_ids);
  INSERT INTO request_exemptions (request_id, codes)
  SELECT c.request_id, array_agg(DISTINCT c.code ORDER BY c.code)
  FROM (
    SELECT e.request_id, unnest(e.exemptions) AS code FROM events e
    WHERE e.request_id = ANY(request_ids) AND NOT e.hidden AND e.exemptions <> '{}'
    UNION ALL
    SELECT a.request_id, unnest(p.exemptions) FROM attachments a JOIN document_pages p ON p.sha256 = a.sha256
    WHERE a.request_id = ANY(request_ids) AND p.exemptions <> '{}' AND NOT a.hidden AND a.removed_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM events m WHERE m.request_id = a.request_id AND m.kind = 'incoming'
                      AND m.message_id = a.incoming_message_id AND m.hidden)
  ) c
  GROUP BY c.request_id;
END $$;--> statement-breakpoint
-- Row triggers whose WHEN lets through only the rows that may change what their request cites, so a first crawl's
-- writes (messages citing nothing, attachments whose text is not extracted yet) cost no call. A message or an
-- attachment belongs to one request for good; a hidden message hides its attachments too, whatever it cites itself.
CREATE FUNCTION request_exemptions_on_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM request_exemptions_refresh(ARRAY[CASE WHEN TG_OP = 'DELETE' THEN OLD.request_id ELSE NEW.request_id END]);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION request_exemptions_on_attachment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row attachments := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
  IF EXISTS (SELECT 1 FROM document_pages p WHERE p.exemptions <> '{}'
             AND p.sha256 IN (row.sha256, CASE WHEN TG_OP = 'UPDATE' THEN OLD.sha256 END)) THEN
    PERFORM request_exemptions_refresh(ARRAY[row.request_id]);
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
-- A document's pages are shared by every request holding the document; a document's pages are written together.
CREATE FUNCTION request_exemptions_on_pages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM request_exemptions_refresh(ARRAY(
    SELECT DISTINCT a.request_id FROM attachments a
    WHERE a.sha256 IN (SELECT sha256 FROM changed_rows WHERE exemptions <> '{}')));
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER request_exemptions_events_inserted AFTER INSERT ON events
  FOR EACH ROW WHEN (NEW.exemptions <> '{}' OR NEW.hidden) EXECUTE FUNCTION request_exemptions_on_message();--> statement-breakpoint
CREATE TRIGGER request_exemptions_events_updated AFTER UPDATE ON events
  FOR EACH ROW WHEN ((NEW.exemptions, NEW.hidden) IS DISTINCT FROM (OLD.exemptions, OLD.hidden)) EXECUTE FUNCTION request_exemptions_on_message();--> statement-breakpoint
CREATE TRIGGER request_exemptions_events_deleted AFTER DELETE ON events
  FOR EACH ROW WHEN (OLD.exemptions <> '{}' OR OLD.hidden) EXECUTE FUNCTION request_exemptions_on_message();--> statement-breakpoint
CREATE TRIGGER request_exemptions_attachments_inserted AFTER INSERT ON attachments
  FOR EACH ROW WHEN (NEW.sha256 IS NOT NULL) EXECUTE FUNCTION request_exemptions_on_attachment();--> statement-breakpoint
CREATE TRIGGER request_exemptions_attachments_updated AFTER UPDATE ON attachments
  FOR EACH ROW WHEN ((NEW.sha256, NEW.hidden, NEW.removed_at IS NULL) IS DISTINCT FROM (OLD.sha256, OLD.hidden, OLD.removed_at IS NULL))
  EXECUTE FUNCTION request_exemptions_on_attachment();--> statement-breakpoint
CREATE TRIGGER request_exemptions_attachments_deleted AFTER DELETE ON attachments
  FOR EACH ROW WHEN (OLD.sha256 IS NOT NULL) EXECUTE FUNCTION request_exemptions_on_attachment();--> statement-breakpoint
CREATE TRIGGER request_exemptions_pages_inserted AFTER INSERT ON document_pages REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION request_exemptions_on_pages();--> statement-breakpoint
CREATE TRIGGER request_exemptions_pages_deleted AFTER DELETE ON document_pages REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION request_exemptions_on_pages();--> statement-breakpoint
SELECT request_exemptions_refresh(ARRAY(SELECT id FROM requests));
