/**
 * Search latency on a PostgreSQL server with generated data.
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/search.bench.ts
 * BENCH_REQUESTS (default 100000), BENCH_PAGES (default 1000000), BENCH_RUNS per query (default 30),
 * BENCH_KEEP=1 keeps the generated database (named in the output) for another run: BENCH_DB=<name>.
 * Each query runs through archive.search() (matches, ranking, facets, headlines for one page of hits)
 * and as the bare full-text SQL (matches + rank + top 20), so the overhead shows as a ratio.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openArchive, type SearchQuery } from '../storage/index.js';

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

// FOI-flavoured vocabulary; words are drawn with a skewed (Zipf-like) distribution, as in real text.
const VOCABULARY = `the of and to in a for is on that by this with be are from as at information request council
please under freedom act section data copy years number records following provide year total staff cost costs budget
contract contracts policy report reports meeting minutes letter email response attached department service services
police school schools hospital patients trust health education housing planning application applications road roads
traffic safety pothole potholes repair repairs complaint complaints fire rescue waste refuse collection bins recycling
parking fines penalty notices enforcement officers employees salary salaries agency consultants expenditure spending
payments invoices supplier suppliers procurement tender tenders audit investigation incidents incident crime crimes
arrests stop search custody prison prisons court courts tribunal appeal appeals decision decisions exemption exempt
disclosure withheld redacted personal sensitive commercial interests public interest test refusal internal review
commissioner guidance correspondence communications emails messages between regarding relating concerning including
asbestos surveys buildings maintenance property properties land sale lease rent tenants homeless temporary accommodation
children social care adult safeguarding referrals assessments mental capacity funding grant grants allocation
covid vaccine vaccination testing ppe equipment ventilators beds ward wards ambulance response times waiting lists
elm street junction calming measures speed cameras cycle lanes bus routes trains rail station transport strategy
energy climate emissions carbon trees flooding drainage sewage water quality pollution air monitoring noise licensing
alcohol premises taxi drivers licences councillors expenses allowances gifts hospitality register interests lobbying`
  .split(/\s+/)
  .filter(Boolean)
  // the long tail of names, places and rare terms that makes most words rare in real documents
  .concat(Array.from({ length: 20_000 }, (_, i) => `t${i.toString(36)}x`));

const QUERIES: { name: string; q: SearchQuery }[] = [
  { name: 'rare word', q: { text: 'asbestos' } },
  { name: 'two words', q: { text: 'pothole repairs' } },
  { name: 'phrase', q: { text: '"traffic calming measures"' } },
  { name: 'common word', q: { text: 'council' } },
  { name: 'word + filters', q: { text: 'salaries', status: 'successful', from: new Date('2019-01-01') } },
  { name: 'word, by date', q: { text: 'sewage', sort: 'date' } },
  { name: 'no text, filters', q: { status: 'waiting_response', authority: 'authority_42' } },
];

async function admin(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

async function timed(label: string, work: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  await work();
  console.log(`  ${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

// Deterministic text: a small xorshift generator, words drawn with a skewed (Zipf-like) distribution.
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
    for (let i = 0; i < words; i++) picked[i] = VOCABULARY[Math.floor(Math.pow(next(), 2.5) * VOCABULARY.length)]!;
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
    // GIN indexes are built once after the load (as a restore would), far faster than row by row.
    const { rows: gin } = await client.query<{ indexname: string; indexdef: string }>(
      `select indexname, indexdef from pg_indexes where schemaname = 'public' and indexdef like '%USING gin%'`,
    );
    for (const index of gin) await client.query(`drop index ${index.indexname}`);
    await timed('sites, authorities, users', async () => {
      await client.query(`insert into sites (base_url, name) values ('https://bench.invalid', 'bench')`);
      await load(client, 'authorities', 500, 500, `insert into authorities (site_id, url_name, name) select 1, * from unnest($1::text[], $2::text[])`,
        (i) => [`authority_${i}`, `Authority ${i} ${words(2)}`]);
      await load(client, 'users', 5000, 5000, `insert into users (site_id, url_name, name) select 1, * from unnest($1::text[], $2::text[])`,
        (i) => [`user_${i}`, `User ${i}`]);
    });
    await timed('requests', () =>
      load(client, 'requests', REQUESTS, 5000,
        `insert into requests (site_id, remote_id, url_title, title, authority_id, requester_id, status, described_state, prominence, remote_created_at, body_text)
         select 1, g, 'request_' || g, t, 1 + g % 500, 1 + g % 5000, s, s, 'normal',
                timestamptz '2010-01-01' + (g % 5000) * interval '1 day' + (g % 1440) * interval '1 minute', b
         from unnest($1::int[], $2::text[], $3::text[], $4::text[]) as x(g, t, s, b)`,
        (i) => [i, words(6).replace(/^./, (c) => c.toUpperCase()), statuses[i % 6], words(150)]),
    );
    await timed('blobs and attachments', async () => {
      await load(client, 'blobs', docs, 20_000,
        `insert into blobs (sha256, size, storage_key, sniffed_type, extraction_status, page_count)
         select sha, 10000 + g, 'bench', t, 'done', ${PAGES_PER_DOC} from unnest($1::int[], $2::text[], $3::text[]) as x(g, sha, t)`,
        (i) => [i, sha(i), types[i % 5]]);
      await load(client, 'attachments', docs, 20_000,
        `insert into attachments (request_id, incoming_message_id, part, remote_id, filename, sha256, size, fetched_at, hidden)
         select 1 + (g::bigint * 7919) % ${REQUESTS}, g, 2, g, 'document_' || g || '.pdf', sha, 10000 + g, now(), false
         from unnest($1::int[], $2::text[]) as x(g, sha)`,
        (i) => [i, sha(i)]);
    });
    await timed('document pages', () =>
      load(client, 'pages', PAGES, 5000,
        `insert into document_pages (sha256, page, text) select * from unnest($1::text[], $2::int[], $3::text[])`,
        (i) => [sha(1 + Math.floor((i - 1) / PAGES_PER_DOC)), 1 + ((i - 1) % PAGES_PER_DOC), words(WORDS_PER_PAGE)]),
    );
    await timed('GIN indexes', async () => {
      await client.query(`set maintenance_work_mem = '1GB'`);
      for (const index of gin) await client.query(index.indexdef);
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

function bareSql(q: SearchQuery) {
  if (!q.text) {
    return sql`select r.id from requests r join authorities a on a.id = r.authority_id
               where r.removed_at is null and r.status = ${q.status ?? ''} and a.url_name = ${q.authority ?? ''}
               order by r.remote_created_at desc limit 20`;
  }
  return sql`with tq as (select websearch_to_tsquery('english', ${q.text}) q)
    (select r.id, null::int as page, ts_rank(r.search, tq.q) as rank from requests r, tq where r.search @@ tq.q
     union all
     select att.request_id, dp.page, ts_rank(dp.search, tq.q) from document_pages dp join attachments att on att.sha256 = dp.sha256, tq
     where dp.search @@ tq.q)
    order by rank desc limit 20`;
}

const dbName = process.env['BENCH_DB'] ?? `wdtk_bench_${randomBytes(4).toString('hex')}`;
const reuse = Boolean(process.env['BENCH_DB']);
if (!reuse) await admin(`CREATE DATABASE ${dbName}`);
const url = new URL(serverUrl);
url.pathname = `/${dbName}`;
const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-bench-'));
const archive = await openArchive({ archiveDir, databaseUrl: url.toString() });
try {
  if (!reuse) await generate(url.toString());
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
} finally {
  await archive.close();
  await rm(archiveDir, { recursive: true, force: true });
  if (!reuse && !process.env['BENCH_KEEP']) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  else console.log(`kept database ${dbName}`);
}
