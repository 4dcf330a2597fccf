// Per-row cost of migration 0014's generated columns on PGlite: the same rows written with and without them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { openArchive } from '../storage/index.js';
const dir = await mkdtemp(path.join(tmpdir(), 'gen-cost-'));
const archive = await openArchive({ archiveDir: dir });
const raw = sql`jsonb_build_object('info_request_events', jsonb_build_array(
  jsonb_build_object('id', 1, 'event_type', 'sent', 'created_at', to_char((timestamptz '2020-01-01' + g * interval '7 hours') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"')),
  jsonb_build_object('id', 2, 'event_type', 'response', 'created_at', to_char((timestamptz '2020-01-01' + g * interval '7 hours' + interval '24 days') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"')),
  jsonb_build_object('id', 3, 'event_type', 'status_update', 'created_at', '2020-01-01T00:00:00.000+00:00'),
  jsonb_build_object('id', 4, 'event_type', 'comment', 'created_at', '2020-01-01T00:00:00.000+00:00')))`;
await archive.db.execute(sql`create table plain as select ${raw} as raw from generate_series(1, 2000) g`);
await archive.db.execute(sql`create table generated (raw jsonb,
  sent_at timestamptz generated always as (request_sent_at(raw)) stored,
  due_on date generated always as (uk_working_day_after(request_sent_at(raw), 20)) stored,
  first_response_at timestamptz generated always as (request_first_response_at(raw)) stored,
  response_working_days integer generated always as (uk_working_days_between(request_sent_at(raw), request_first_response_at(raw))) stored,
  site_overdue text generated always as (request_site_overdue(raw)) stored,
  internal_review_requested boolean generated always as (request_internal_review_requested(raw)) stored)`);
await archive.db.execute(sql`create table bare (raw jsonb)`);
for (let round = 0; round < 3; round++) {
  for (const table of ['bare', 'generated']) {
    await archive.db.execute(sql.raw(`truncate ${table}`));
    const t0 = performance.now();
    await archive.db.execute(sql.raw(`insert into ${table} (raw) select raw from plain`));
    console.log(table, ((performance.now() - t0) / 2000).toFixed(4), 'ms per row');
  }
}
await archive.close();
await rm(dir, { recursive: true, force: true });
