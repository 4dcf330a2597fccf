import { sql } from 'drizzle-orm';
import type { Archive } from '../storage/index.js';

export interface KeptDownload {
  sha256: string;
  size: number;
  captureId: number;
  fetchedAt: Date;
}

/**
 * An attachment this run already downloaded and stored (blob and capture) but had not yet reconciled
 * when the process died: a resumed run takes it from here instead of asking the site again.
 */
export async function findKeptDownload(archive: Archive, runId: number, url: string): Promise<KeptDownload | undefined> {
  const result = (await archive.db.execute(sql`
    select id, sha256, size, fetched_at from captures
    where run_id = ${runId} and url = ${url} and kind = 'attachment' and status = 200 and sha256 is not null
    order by id desc limit 1`)) as unknown as { rows: { id: number; sha256: string; size: number | string; fetched_at: string | Date }[] };
  const row = result.rows[0];
  if (!row) return undefined;
  return { sha256: row.sha256, size: Number(row.size), captureId: Number(row.id), fetchedAt: new Date(row.fetched_at) };
}
