-- The Atom feed of a search lists the matches that entered the archive last: requests by when they were first
-- archived, documents by when their attachment was fetched. With these indexes it walks each newest first and stops
-- once it has a feed's worth that match, instead of sorting every match of a common word.
CREATE INDEX "attachments_fetched_at" ON "attachments" USING btree ("fetched_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "requests_first_archived_at" ON "requests" USING btree ("first_archived_at" DESC NULLS LAST,"id" DESC NULLS LAST);