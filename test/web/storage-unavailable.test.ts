import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../web/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';
import { seedArchive } from './fixture.js';

describe('the web UI while the archive cannot be read', () => {
  let s3: S3TestServer | undefined;
  let test: TestArchive | undefined;
  afterAll(async () => {
    await s3?.resume();
    await test?.cleanup();
    await s3?.stop();
  });

  it('answers 503 with Retry-After and logs one line, then serves again once the store is back', async () => {
    s3 = await startS3Server();
    test = await openTestArchive({ s3: s3.config(`wdtk-web-${randomBytes(4).toString('hex')}`) });
    const seeded = await seedArchive(test.archive);
    const app = createApp(test.archive);
    const download = `/attachment/${seeded.pdf.attachmentId}/download`;
    expect((await app.request(download)).status).toBe(200);

    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await s3.pause();
      const refused = await app.request(download);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('30');
      expect(await refused.text()).toContain('The archive is unavailable for a moment');
      expect(logged.mock.calls).toHaveLength(1);
      expect(logged.mock.calls[0]).toEqual([expect.stringMatching(new RegExp(`^GET ${download}: the archive's storage is unavailable: [^\\n]+$`))]);
    } finally {
      logged.mockRestore();
    }

    await s3.resume();
    const served = await app.request(download);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(seeded.pdf.bytes)).toBe(true);
  });
});
