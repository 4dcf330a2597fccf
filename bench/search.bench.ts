/**
 * Search latency on a PostgreSQL server with generated data.
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/search.bench.ts
 * BENCH_REQUESTS (default 100000), BENCH_PAGES (default 1000000), BENCH_RUNS per query (default 30),
 * BENCH_KEEP=1 keeps the generated database (named in the output) for another run: BENCH_DB=<name>.
 * Each query runs through archive.search() (matches, ranking, facets, headlines for one page of hits)
 * and as bare SQL for the same top 20 (matches, filters, rank or date, ids only), so the overhead shows as a ratio;
 * then through archive.newestMatches() for the 50 that entered the archive last (the Atom feed of the search), and
 * archive.exemptionTally() for the archive and for one authority. Each request has an authority's reply, a fifth of
 * them citing an exemption, and a tenth of the pages cite one, so the exemption filter, facet and tally have rows to read;
 * and archive.timelinessTally() and timelinessByAuthority(): each request's JSON has its sending, seven in eight a
 * response 0 to 44 days later, some the site's overdue mark and a twentieth an internal review.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openArchive, type SearchQuery } from '../storage/index.js';
import { adminQuery, databaseUrlBeside } from './server-database.js';

const serverUrl = process.env['DATABASE_URL'];
if (!serverUrl) {
  console.error('set DATABASE_URL to a PostgreSQL server (a scratch database is created on it)');
  process.exit(2);
}
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 100_000);
const PAGES = Number(process.env['BENCH_PAGES'] ?? 1_000_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 30);
const PAGES_PER_DOC = 10;
const WORDS_PER_PAGE = 120;

// English stopwords first, as the most frequent words of any text (the english configuration drops them).
const STOPWORDS = `the of and to in a for is on that by this with be are from as at it we or not have an will you our
has been which any all their please`.split(/\s+/).filter(Boolean);
// FOI-flavoured content words, roughly from general to specialist: they take ranks spread log-evenly
// from just after the stopwords to the end of the vocabulary, the ranks between going to made-up words
// (the names, places and rare terms of real documents).
const CONTENT = `council information request freedom act section data copy years number records following provide
year total staff cost costs budget contract contracts policy report reports meeting minutes letter email response
attached department service services police school schools hospital patients trust health education housing planning
application applications road roads traffic safety complaint complaints fire rescue waste refuse collection bins
recycling parking fines penalty notices enforcement officers employees salary salaries agency consultants expenditure
spending payments invoices supplier suppliers procurement tender tenders audit investigation incidents incident crime
crimes arrests stop search custody prison prisons court courts tribunal appeal appeals decision decisions exemption
exempt disclosure withheld redacted personal sensitive commercial interests public interest test refusal internal
review commissioner guidance correspondence communications emails messages between regarding relating concerning
including surveys buildings maintenance property properties land sale lease rent tenants homeless temporary
accommodation children social care adult safeguarding referrals assessments mental capacity funding grant grants
allocation covid vaccine vaccination testing equipment beds ward wards ambulance times waiting lists street junction
measures speed cameras cycle lanes bus routes trains rail station transport strategy energy climate emissions carbon
trees flooding drainage water quality pollution air monitoring noise licensing alcohol premises taxi drivers licences
councillors expenses allowances gifts hospitality register lobbying repair repairs calming pothole potholes ppe
ventilators elm sewage asbestos`.split(/\s+/).filter(Boolean);
const VOCABULARY_SIZE = 10_000;
const VOCABULARY: string[] = Array.from({ length: VOCABULARY_SIZE }, (_, rank) => (rank < STOPWORDS.length ? STOPWORDS[rank]! : `w${rank.toString(36)}x`));
CONTENT.forEach((word, i) => {
  const first = STOPWORDS.length;
  const rank = Math.round(first * Math.pow((VOCABULARY_SIZE - 1) / first, i / (CONTENT.length - 1)));
  VOCABULARY[rank] = word;
});
// Zipf (s = 1): the word of rank r is drawn with probability proportional to 1/r.
const ZIPF_CUMULATIVE = (() => {
  const weights = VOCABULARY.map((_, r) => 1 / (r + 1));
  const sum = weights.reduce((x, y) => x + y, 0);
  let running = 0;
  return weights.map((w) => (running += w / sum));
})();

// What a reply or a page cites when it cites something: the codes the archive reads them as are the bench's
// exemption queries.
const CITATIONS = [
  'Some information is withheld under section 40(2) of the Act.',
  'Prices are withheld under section 43(2) of the Freedom of Information Act 2000.',
  'Complying would exceed the appropriate limit, so section 12 of the Act applies.',
  'The figures are reasonably accessible to you, so section 21 applies.',
  'The exception at regulation 12(5)(e) of the EIR applies.',
];

const QUERIES: { name: string; q: SearchQuery }[] = [
  { name: 'rare word', q: { text: 'asbestos' } },
  { name: 'two words', q: { text: 'road safety' } },
  { name: 'phrase', q: { text: '"traffic calming measures"' } },
  { name: 'common word', q: { text: 'council' } },
  { name: 'word + filters', q: { text: 'salaries', status: 'successful', from: new Date('2019-01-01') } },
  { name: 'word, by date', q: { text: 'sewage', sort: 'date' } },
  { name: 'common, by date', q: { text: 'council', sort: 'date' } },
  { name: 'no text, filters', q: { status: 'refused', authority: 'authority_42' } },
  { name: 'exemption', q: { exemption: 'FOIA s43' } },
  { name: 'word + exemption', q: { text: 'council', exemption: 'FOIA s40' } },
  { name: 'answered late', q: { timeliness: 'late' } },
  { name: 'word + late', q: { text: 'council', timeliness: 'late' } },
];

async function timed(label: string, work: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  await work();
  console.log(`  ${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

// Deterministic text: a small xorshift generator, words drawn by rank from the Zipf distribution.
function textGenerator(seed: number): (words: number) => string {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  return (words) => {
    const picked = new Array<string>(words);
    for (let i = 0; i < words; i++) {
      const u = next();
      let low = 0;
      let high = ZIPF_CUMULATIVE.length - 1;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (ZIPF_CUMULATIVE[mid]! < u) low = mid + 1;
        else high = mid;
      }
      picked[i] = VOCABULARY[low]!;
    }
    return picked.join(' ');
  };
}

/** Inserts rows in batches through unnest(), one batch in flight while the next is generated. */
async function load(client: pg.Client, label: string, total: number, batch: number, statement: string, row: (i: number) => unknown[]) {
  let inFlight: Promise<unknown> = Promise.resolve();
  for (let from = 1; from <= total; from += batch) {
    const to = Math.min(total, from + batch - 1);
    const columns: unknown[][] = [];
    for (let i = from; i <= to; i++) row(i).forEach((value, c) => (columns[c] ??= []).push(value));
    await inFlight;
    inFlight = client.query(statement, columns);
    process.stdout.write(`    ${label}: ${to}\r`);
  }
  await inFlight;
}

async function generate(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const words = textGenerator(42);
  const statuses = ['successful', 'partially_successful', 'waiting_response', 'refused', 'not_held', 'rejected'];
  const types = ['pdf', 'docx', 'xlsx', 'eml', 'txt'];
  const docs = Math.ceil(PAGES / PAGES_PER_DOC);
  const sha = (doc: number) => createHash('sha256').update(`doc${doc}`).digest('hex');
  console.log(`generating ${REQUESTS} requests, ${docs} documents, ${PAGES} pages`);
  try {
    // Indexes other than keys are built once after the load (as a restore would), far faster than row by row.
    // A partitioned table's index is dropped and built with its partitions' indexes: those are skipped here, and
    // its definition (`ON ONLY`, which would leave the partitions without one) is built for the whole table.
    // The triggers that keep search_pages and request_exemptions look attachments and messages up by their request
    // as each page is written, so their indexes stay.
    const { rows: secondary } = await client.query<{ indexname: string; indexdef: string }>(
      `select indexname, replace(indexdef, ' ON ONLY ', ' ON ') as indexdef from pg_indexes where schemaname = 'public'
       and indexname not in (select conname from pg_constraint) and tablename not in ('attachments', 'events')
       and indexname not in (select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where c.relkind = 'i')`,
    );
    for (const index of secondary) await client.query(`drop index ${index.indexname}`);
    await timed('sites, authorities, users', async () => {
      await client.query(`insert into sites (base_url, name) values ('https://bench.invalid', 'bench')`);
      await load(client, 'authorities', 500, 500, `insert into authorities (site_id, url_name, name) select 1, * from unnest($1::text[], $2::text[])`,
        (i) => [`authority_${i}`, `Authority ${i} ${words(2)}`]);
      await load(client, 'users', 5000, 5000, `insert into users (site_id, url_name, name) select 1, * from unnest($1::text[], $2::text[])`,
        (i) => [`user_${i}`, `User ${i}`]);
    });
    await timed('requests', () =>
      load(client, 'requests', REQUESTS, 5000,
        `insert into requests (site_id, remote_id, url_title, title, authority_id, requester_id, status, described_state, prominence, remote_created_at, first_archived_at, body_text, raw)
         select 1, g, 'request_' || g, t, 1 + g % 500, 1 + g % 5000, s, s, 'normal', c.created,
                timestamptz '2019-01-01' + (g::bigint * 7919 % 2000) * interval '1 day' + (g % 1440) * interval '1 minute', b,
                jsonb_build_object('id', g, 'info_request_events',
                  jsonb_build_array(jsonb_build_object('id', g * 10, 'event_type', 'sent', 'created_at', c.json_time))
                  || case when g % 8 <> 0 then jsonb_build_array(jsonb_build_object('id', g * 10 + 1, 'event_type', 'response',
                       'created_at', to_char((c.created + (g % 45) * interval '1 day') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"'))) else '[]' end
                  || case when g % 8 = 0 or g % 45 > 28 then jsonb_build_array(jsonb_build_object('id', g * 10 + 2, 'event_type', 'overdue', 'created_at', c.json_time)) else '[]' end
                  || case when g % 20 = 0 then jsonb_build_array(jsonb_build_object('id', g * 10 + 3, 'event_type', 'followup_sent',
                       'display_status', 'Internal review request', 'created_at', c.json_time)) else '[]' end)
         from unnest($1::int[], $2::text[], $3::text[], $4::text[]) as x(g, t, s, b)
         cross join lateral (select created, to_char(created at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"') as json_time
           from (select timestamptz '2010-01-01' + (g % 5000) * interval '1 day' + (g % 1440) * interval '1 minute' as created) d) c`,
        (i) => [i, words(6).replace(/^./, (c) => c.toUpperCase()), statuses[i % 6], words(150)]),
    );
    await timed('events', () =>
      load(client, 'events', REQUESTS, 5000,
        `insert into events (request_id, kind, message_id, event_id, time, author, text)
         select g, 'incoming', g, g, timestamptz '2010-01-20' + (g % 5000) * interval '1 day', 'Authority', t
         from unnest($1::int[], $2::text[]) as x(g, t)`,
        (i) => [i, `${words(80)}${i % 5 === 0 ? ` ${CITATIONS[(i / 5) % CITATIONS.length]}` : ''}`]),
    );
    await timed('blobs and attachments', async () => {
      await load(client, 'blobs', docs, 20_000,
        `insert into blobs (sha256, size, storage_key, sniffed_type, extraction_status, page_count)
         select sha, 10000 + g, 'bench', t, 'done', ${PAGES_PER_DOC} from unnest($1::int[], $2::text[], $3::text[]) as x(g, sha, t)`,
        (i) => [i, sha(i), types[i % 5]]);
      await load(client, 'attachments', docs, 20_000,
        `insert into attachments (request_id, incoming_message_id, part, remote_id, filename, sha256, size, fetched_at, hidden)
         select 1 + (g::bigint * 7919) % ${REQUESTS}, g, 2, g, 'document_' || g || '.pdf', sha, 10000 + g,
                timestamptz '2019-01-01' + (g::bigint * 104729 % 2000) * interval '1 day' + (g % 1440) * interval '1 minute', false
         from unnest($1::int[], $2::text[]) as x(g, sha)`,
        (i) => [i, sha(i)]);
    });
    await timed('document pages', () =>
      load(client, 'pages', PAGES, 5000,
        `insert into document_pages (sha256, page, text) select * from unnest($1::text[], $2::int[], $3::text[])`,
        (i) => [sha(1 + Math.floor((i - 1) / PAGES_PER_DOC)), 1 + ((i - 1) % PAGES_PER_DOC),
          `${words(WORDS_PER_PAGE)}${i % 10 === 0 ? ` ${CITATIONS[(i / 10) % CITATIONS.length]}` : ''}`]),
    );
    await timed('indexes', async () => {
      await client.query(`set maintenance_work_mem = '1GB'`);
      for (const index of secondary) await client.query(index.indexdef);
    });
    await timed('vacuum analyze', () => client.query('vacuum analyze'));
  } finally {
    await client.end();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(work: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

/** The same hits, ids only, in plain SQL: no facets, totals, headlines or joins for display. */
function bareSql(q: SearchQuery) {
  if (q.timeliness) {
    // requests only, as a lower bound: the archive's query also finds the pages of their documents
    return q.text
      ? sql`select r.id from requests r where r.search @@ websearch_to_tsquery('english', ${q.text}) and r.response_working_days > 20
            order by ts_rank(r.search, websearch_to_tsquery('english', ${q.text})) desc limit 20`
      : sql`select r.id from requests r where r.response_working_days > 20 order by r.remote_created_at desc limit 20`;
  }
  if (q.exemption) {
    const cites = sql`array[${q.exemption}]::text[]`;
    const citing = sql`select e.request_id from events e where e.exemptions @> ${cites}
                       union select a.request_id from attachments a join document_pages p on p.sha256 = a.sha256 where p.exemptions @> ${cites}`;
    return q.text
      ? sql`select r.id from requests r where r.search @@ websearch_to_tsquery('english', ${q.text}) and r.id in (${citing})
            order by ts_rank(r.search, websearch_to_tsquery('english', ${q.text})) desc limit 20`
      : sql`select r.id from requests r where r.id in (${citing}) order by r.remote_created_at desc limit 20`;
  }
  if (!q.text) {
    return sql`select r.id from requests r join authorities a on a.id = r.authority_id
               where r.removed_at is null and r.status = ${q.status ?? ''} and a.url_name = ${q.authority ?? ''}
               order by r.remote_created_at desc limit 20`;
  }
  const tq = sql`websearch_to_tsquery('english', ${q.text})`;
  const status = (column: string) => (q.status ? sql`and ${sql.raw(column)} = ${q.status}` : sql``);
  const from = (column: string) => (q.from ? sql`and ${sql.raw(column)} >= ${q.from.toISOString()}::timestamptz` : sql``);
  const order = q.sort === 'date' ? sql`created desc nulls last` : sql`rank desc`;
  return sql`
    (select r.id, 0 as page, ts_rank(r.search, ${tq}) as rank, r.remote_created_at as created from requests r
     where r.search @@ ${tq} and r.removed_at is null ${status('r.status')} ${from('r.remote_created_at')}
     union all
     select h.request_id, h.page, ts_rank(h.search, ${tq}), h.created from search_pages h
     where h.search @@ ${tq} and not h.removed ${status('h.status')} ${from('h.created')})
    order by ${order} limit 20`;
}

const dbName = process.env['BENCH_DB'] ?? `wdtk_bench_${randomBytes(4).toString('hex')}`;
const reuse = Boolean(process.env['BENCH_DB']);
if (!reuse) await adminQuery(serverUrl, `CREATE DATABASE ${dbName}`);
const databaseUrl = databaseUrlBeside(serverUrl, dbName);
const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-bench-'));
const archive = await openArchive({ archiveDir, databaseUrl });
try {
  if (!reuse) await generate(databaseUrl);
  const counts = (await archive.db.execute(
    sql`select (select count(*) from requests)::int as requests, (select count(*) from document_pages)::int as pages`,
  )) as unknown as { rows: { requests: number; pages: number }[] };
  console.log(`database ${dbName}: ${counts.rows[0]!.requests} requests, ${counts.rows[0]!.pages} document pages; ${RUNS} runs per query`);
  console.log('query                 hits      search p50/p95 ms     bare SQL p50/p95 ms   ratio p50');
  for (const { name, q } of QUERIES) {
    const total = (await archive.search(q)).total;
    const full = await measure(() => archive.search(q));
    const bare = await measure(() => archive.db.execute(bareSql(q)));
    console.log(
      `${name.padEnd(20)} ${String(total).padStart(7)}   ${full.p50.toFixed(1).padStart(8)} / ${full.p95.toFixed(1).padEnd(8)}   ` +
        `${bare.p50.toFixed(1).padStart(8)} / ${bare.p95.toFixed(1).padEnd(8)}   ${(full.p50 / bare.p50).toFixed(2)}x`,
    );
  }
  console.log('feed of the query     items     newest 50 p50/p95 ms');
  for (const { name, q } of QUERIES) {
    const items = (await archive.newestMatches(q, 50)).length;
    const feed = await measure(() => archive.newestMatches(q, 50));
    console.log(`${name.padEnd(20)} ${String(items).padStart(7)}   ${feed.p50.toFixed(1).padStart(8)} / ${feed.p95.toFixed(1)}`);
  }
  console.log('exemption tally        counted   p50/p95 ms');
  for (const [name, scope] of [['whole archive', {}], ['one authority', { authority: 'authority_42' }]] as const) {
    const tally = await archive.exemptionTally(scope);
    const timing = await measure(() => archive.exemptionTally(scope));
    console.log(`${name.padEnd(20)} ${String(tally.requests).padStart(8)}   ${timing.p50.toFixed(1).padStart(8)} / ${timing.p95.toFixed(1)}`);
  }
  console.log('timeliness              counted   p50/p95 ms');
  for (const [name, scope] of [['whole archive', {}], ['one authority', { authority: 'authority_42' }]] as const) {
    const tally = await archive.timelinessTally(scope);
    const timing = await measure(() => archive.timelinessTally(scope));
    console.log(`${name.padEnd(20)} ${String(tally.requests).padStart(8)}   ${timing.p50.toFixed(1).padStart(8)} / ${timing.p95.toFixed(1)}`);
  }
  for (const order of ['requests', 'late'] as const) {
    const table = await archive.timelinessByAuthority({ order, limit: 20 });
    const timing = await measure(() => archive.timelinessByAuthority({ order, limit: 20 }));
    console.log(`${`by authority, ${order}`.padEnd(20)} ${String(table.total).padStart(8)}   ${timing.p50.toFixed(1).padStart(8)} / ${timing.p95.toFixed(1)}`);
  }
} finally {
  await archive.close();
  await rm(archiveDir, { recursive: true, force: true });
  if (!reuse && !process.env['BENCH_KEEP']) await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  else console.log(`kept database ${dbName}`);
}
