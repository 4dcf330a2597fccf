import http from 'node:http';
import { once } from 'node:events';
import { afterAll, expect, it } from 'vitest';
import { s3Client } from '../../storage/blobs/s3.js';
import { startS3Server } from './s3.js';

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

// storage-down.test.ts pauses the store mid-crawl and resumes it as soon as the crawl stops, which can be sooner.
it('a resume called while the paused server finishes a request waits for it, then serves', { timeout: 30_000 }, async () => {
  const s3 = await startS3Server(['helper-resume']);
  stops.push(() => s3.stop());
  const inFlight = http.request(`${s3.endpoint}/helper-resume/half-sent`, { method: 'PUT', headers: { 'content-length': '10' } });
  inFlight.on('error', () => {});
  inFlight.write('12345');
  await once(inFlight, 'socket');
  await new Promise((resolve) => setTimeout(resolve, 100));

  const paused = s3.pause();
  setTimeout(() => inFlight.end('67890'), 300);
  await s3.resume();
  await paused;
  expect(await s3Client(s3.config('helper-resume')).bucketExists('helper-resume')).toBe(true);
});
