-- The FOI and EI exemptions a text cites, as codes: 'FOIA s40', 'FOISA s38', 'EIR 12(5)(e)', 'EIR 13', 'EIRS 10(4)(a)',
-- 'EIRS 11' (storage/exemptions.ts names them). An authority's message and each page of a document keep theirs in a
-- generated column, filled here for what is already stored. Only the sections and regulations that withhold or refuse
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
ALTER TABLE "document_pages" ADD COLUMN "exemptions" text[] GENERATED ALWAYS AS (cited_exemptions("document_pages"."text")) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "exemptions" text[] GENERATED ALWAYS AS (case when "events"."kind" = 'incoming' then cited_exemptions("events"."text") end) STORED;--> statement-breakpoint
CREATE INDEX "document_pages_exemptions" ON "document_pages" USING gin ("exemptions");--> statement-breakpoint
CREATE INDEX "events_exemptions" ON "events" USING gin ("exemptions");