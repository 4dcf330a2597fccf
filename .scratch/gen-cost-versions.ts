// migration 0014's generated columns on PGlite, first text against the arithmetic one: per-row cost of a write.
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
for (const version of ['new', 'new', 'new']) {
  const db = new PGlite();
  const text = (await readFile(`/tmp/${version}0014.sql`, 'utf8')).split('--> statement-breakpoint').filter((s) => !s.includes('ALTER TABLE')).join(';');
  await db.exec(text);
  await db.exec(`create table plain as select jsonb_build_object('info_request_events', jsonb_build_array(
    jsonb_build_object('id', 1, 'event_type', 'sent', 'created_at', to_char((timestamptz '2020-01-01' + g * interval '7 hours') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"')),
    jsonb_build_object('id', 2, 'event_type', 'response', 'created_at', to_char((timestamptz '2020-01-01' + g * interval '7 hours' + interval '24 days') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"')))) as raw
    from generate_series(1, 2000) g`);
  await db.exec(`create table generated (raw jsonb,
    sent_at timestamptz generated always as (request_sent_at(raw)) stored,
    clock_started_at timestamptz generated always as (request_clock_started_at(raw)) stored,
    due_on date generated always as (uk_working_day_after(request_clock_started_at(raw), 20)) stored,
    first_response_at timestamptz generated always as (request_first_response_at(raw)) stored,
    response_working_days integer generated always as (uk_working_days_between(request_clock_started_at(raw), request_first_response_at(raw))) stored,
    first_answer_at timestamptz generated always as (request_first_answer_at(raw)) stored,
    answer_working_days integer generated always as (uk_working_days_between(request_clock_started_at(raw), request_first_answer_at(raw))) stored,
    site_overdue text generated always as (request_site_overdue(raw)) stored,
    internal_review_requested boolean generated always as (request_internal_review_requested(raw)) stored)`);
  await db.exec('insert into generated (raw) select raw from plain limit 100; truncate generated');
  const t0 = performance.now();
  await db.exec('insert into generated (raw) select raw from plain');
  console.log(version, ((performance.now() - t0) / 2000).toFixed(4), 'ms per row');
  await db.close();
}
