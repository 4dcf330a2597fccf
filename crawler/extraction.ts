import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { DEFAULT_LIMITS, ExtractError, extractIsolated, tooLarge, type ExtractResult } from '../parsers/index.js';
import { describeFailure, isStorageUnavailable, localWorkerId, type Archive, type ExtractionResult } from '../storage/index.js';
import { makeProcessTempDir } from './temp-dir.js';

/** Documents one process extracts at once, unless told otherwise: each in its own worker thread. */
export const DEFAULT_EXTRACTION_CONCURRENCY = 2;

export interface WorkerOptions {
  /** Names this worker in the jobs table; default host:pid. */
  workerId?: string;
  /** Documents extracted at once, each in its own worker thread; default DEFAULT_EXTRACTION_CONCURRENCY. */
  concurrency?: number;
  /** Keep polling an empty queue: `true` until the signal aborts, or a function asked before each wait. */
  watch?: boolean | (() => boolean);
  pollMs?: number;
  signal?: AbortSignal;
  log?: Logger;
  onJob?: (outcome: JobOutcome) => void;
}

export interface JobOutcome {
  sha256: string;
  ok: boolean;
  /** A failed attempt that put the document back in the queue for another. */
  requeued?: boolean;
  type?: string;
  pages?: number;
  error?: string;
}

export interface WorkerSummary {
  completed: number;
  /** Documents whose extraction failed for good (their last attempt, or one that cannot succeed). */
  failed: number;
  /** Documents whose attempt failed and that went back to the queue, for a later worker to try again. */
  requeued: number;
  /** Why the worker stopped before the queue was empty: the archive could not take what it extracted. */
  stopped?: string;
  /** Why its signal stopped it (a time limit, a signal): the documents left wait in the queue. */
  interrupted?: string;
}

/**
 * Takes text-extraction jobs off the queue until it is empty (or, watching, until stopped), `concurrency` at a
 * time. Each document is extracted in an isolated worker thread, so a hostile file costs a job, never the worker.
 */
export async function runExtractionWorker(archive: Archive, opts: WorkerOptions = {}): Promise<WorkerSummary> {
  const workerId = opts.workerId ?? localWorkerId();
  const log = opts.log ?? pino({ level: 'silent' });
  const pollMs = opts.pollMs ?? 2000;
  const keepWatching = () => !opts.signal?.aborted && (typeof opts.watch === 'function' ? opts.watch() : opts.watch === true);
  const summary: WorkerSummary = { completed: 0, failed: 0, requeued: 0 };
  const lastOutcome = new Map<string, 'completed' | 'failed' | 'requeued'>();
  await archive.jobs.releaseDeadLocalClaims();
  const workDir = await makeProcessTempDir('extract');
  // A claim not renewed within the lease is taken for a dead worker's, and handed to another.
  const inHand = new Set<number>();
  const renewal = setInterval(() => {
    archive.jobs.renew(workerId, [...inHand]).catch((error: unknown) => log.warn({ err: error }, 'could not renew the claims on extraction jobs'));
  }, (archive.jobs.leaseSeconds * 1000) / 4);
  renewal.unref();
  // Each lane claims its own job (SKIP LOCKED), so lanes never share one, here or in other processes.
  const lane = async (): Promise<void> => {
    try {
      while (!opts.signal?.aborted && summary.stopped === undefined) {
        const [job] = await archive.jobs.claim(workerId, 1);
        if (!job) {
          if (!keepWatching()) break;
          await sleep(pollMs, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => undefined);
          continue;
        }
        inHand.add(job.id);
        const outcome = await extractOne(archive, job, workDir, log).finally(() => inHand.delete(job.id));
        // By document, not attempt: one that fails and is taken again by this worker counts once, as it ends.
        lastOutcome.set(job.sha256, outcome.ok ? 'completed' : outcome.requeued ? 'requeued' : 'failed');
        opts.onJob?.(outcome);
      }
    } catch (error) {
      // A full disk or a database that is down would fail every document alike, each using up its attempts.
      if (!isStorageUnavailable(error)) throw error;
      summary.stopped ??= `the archive cannot take extracted text (${describeFailure(error)}); the documents left wait in the queue for the next worker`;
      log.error({ err: describeFailure(error) }, 'text extraction stopped');
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_EXTRACTION_CONCURRENCY)) }, lane));
  } finally {
    clearInterval(renewal);
    await rm(workDir, { recursive: true, force: true });
  }
  if (opts.signal?.aborted) summary.interrupted = opts.signal.reason instanceof Error ? opts.signal.reason.message : 'stopped by a signal';
  for (const outcome of lastOutcome.values()) summary[outcome]++;
  return summary;
}

async function extractOne(archive: Archive, job: { id: number; sha256: string }, workDir: string, log: Logger): Promise<JobOutcome> {
  const file = path.join(workDir, randomUUID());
  try {
    const attachment = await archive.getAttachment(job.sha256);
    // Refused before its bytes are copied out of the store: a 1 GiB original would be written to a temp file first.
    const size = attachment?.blob?.size ?? (await archive.blobs.stat(job.sha256))?.size;
    if (size !== undefined && size > DEFAULT_LIMITS.maxBytes) throw tooLarge(size, DEFAULT_LIMITS.maxBytes);
    await pipeline(await archive.blobs.get(job.sha256), createWriteStream(file));
    const result = await extractIsolated(file, {
      ...(attachment?.filename ? { filename: attachment.filename } : {}),
      ...(attachment?.contentType ? { contentType: attachment.contentType } : {}),
    });
    const completion = toCompletion(result);
    await archive.jobs.complete(job.id, completion);
    log.debug({ sha256: job.sha256, type: result.type, pages: completion.pageCount }, 'text extracted');
    return { sha256: job.sha256, ok: true, type: result.type, pages: completion.pageCount };
  } catch (error) {
    if (isStorageUnavailable(error)) {
      // Not the document's fault: the attempt is given back (unless the database is what failed; then the lease does it).
      await archive.jobs.release(job.id).catch(() => undefined);
      throw error;
    }
    const message = describeFailure(error);
    log.warn({ sha256: job.sha256, err: message }, 'text extraction failed');
    // Its size will not change: another attempt would fail the same way.
    const retry = !(error instanceof ExtractError && error.code === 'too_large');
    const status = await archive.jobs.fail(job.id, message, { retry }).catch((failError: unknown) => {
      log.error({ sha256: job.sha256, err: failError }, 'could not record the failure');
      // Its claim lapses and the lease hands it to a worker again.
      return 'pending' as const;
    });
    return { sha256: job.sha256, ok: false, error: message, ...(status === 'pending' ? { requeued: true } : {}) };
  } finally {
    await rm(file, { force: true });
  }
}

/** The document's own pages, then those of everything inside it (zip entries, email attachments), numbered after them. */
export function toCompletion(result: ExtractResult): ExtractionResult {
  // The document's own page numbers are kept as they are: a hit must name the page a reader turns to.
  const pages = result.pages.map((page) => ({ number: page.number, text: page.text }));
  let lastNumber = pages.reduce((max, page) => Math.max(max, page.number), 0);
  const warnings = [...result.warnings];
  let needsOcr = result.needsOcr;
  const visitChildren = (node: ExtractResult, label: string | undefined) => {
    for (const child of node.children) {
      const childLabel = label ? `${label} / ${child.name}` : child.name;
      warnings.push(...child.warnings.map((w) => `${childLabel}: ${w}`));
      needsOcr ||= child.needsOcr;
      for (const page of child.pages) pages.push({ number: ++lastNumber, text: `${childLabel}\n${page.text}` });
      visitChildren(child, childLabel);
    }
  };
  visitChildren(result, undefined);
  return {
    type: result.type,
    mime: result.mime,
    pageCount: pages.length,
    needsOcr,
    warnings,
    metadata: { ...result.metadata, ...(result.children.length ? { children: result.children.map((c) => ({ name: c.name, type: c.type })) } : {}) },
    pages,
  };
}
