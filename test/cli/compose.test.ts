import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Command } from 'commander';
import { buildProgram, ENVIRONMENT } from '../../cli/index.js';

interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
}

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};

/** Resolves `argv` against the real CLI definition, returning the command reached and the flags it was given. */
function resolve(argv: string[]): { command: Command; flags: string[] } {
  let command: Command = buildProgram();
  let index = 0;
  while (index < argv.length) {
    const next = command.commands.find((c) => c.name() === argv[index]);
    if (!next) break;
    command = next;
    index += 1;
  }
  return { command, flags: argv.slice(index).filter((arg) => arg.startsWith('--')) };
}

function knownFlags(command: Command): Set<string> {
  const flags = new Set<string>();
  for (let c: Command | null = command; c; c = c.parent) for (const option of c.options) if (option.long) flags.add(option.long);
  return flags;
}

describe('docker-compose.yml', () => {
  it('runs Postgres, MinIO with a bucket, the nightly archiver and the web service', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(expect.arrayContaining(['postgres', 'minio', 'minio-init', 'archiver', 'web']));
    expect(compose.services['minio-init']?.command?.join(' ')).toMatch(/mc mb --ignore-existing local\/wdtk-archive/);
    expect(compose.services.archiver?.environment?.S3_BUCKET).toBe('wdtk-archive');
  });

  it.each(['archiver', 'web'])('%s is built from the Dockerfile and runs a real CLI command with real flags', (name) => {
    const service = compose.services[name]!;
    expect(service.build).toBe('.');
    const { command, flags } = resolve(service.command ?? []);
    expect(command.name()).toBe(service.command?.[0]);
    const known = knownFlags(command);
    for (const flag of flags) expect(known, `${name}: ${flag}`).toContain(flag);
  });

  it('sets only environment variables the program reads', () => {
    for (const name of ['archiver', 'web']) {
      for (const key of Object.keys(compose.services[name]?.environment ?? {})) expect(Object.keys(ENVIRONMENT)).toContain(key);
    }
  });

  it('the archiver runs on a nightly cron schedule', () => {
    const argv = compose.services.archiver?.command ?? [];
    expect(argv[0]).toBe('schedule');
    expect(argv[argv.indexOf('--cron') + 1]).toMatch(/^\d+ \d+ \* \* \*$/);
  });
});

describe('Dockerfile', () => {
  const lines = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8').split('\n');
  const runtime = lines.slice(lines.findLastIndex((line) => line.startsWith('FROM ')));

  it("gives the data volume to the user the image runs as, before declaring it", () => {
    const user = runtime.find((line) => line.startsWith('USER '))?.slice('USER '.length).trim();
    const volumeAt = runtime.findIndex((line) => line.startsWith('VOLUME '));
    const volume = (JSON.parse(runtime[volumeAt]!.slice('VOLUME '.length)) as string[])[0];
    const chownAt = runtime.findIndex((line) => line.startsWith('RUN ') && line.includes(`chown ${user}:${user} ${volume}`));
    expect(user).toBe('node');
    expect(chownAt, 'a RUN that gives the volume to the runtime user').toBeGreaterThanOrEqual(0);
    expect(chownAt).toBeLessThan(volumeAt);
    expect(runtime.some((line) => line.includes(`ARCHIVE_DIR=${volume}`))).toBe(true);
  });
});
