DROP INDEX "requests_remote_created_at";--> statement-breakpoint
CREATE INDEX "requests_remote_created_at" ON "requests" USING btree ("remote_created_at" DESC NULLS LAST);