import { ConfigError } from './errors.js';
import type { ArchiveConfig } from './types.js';

/** ARCHIVE_DIR (default ./archive-data), DATABASE_URL, S3_ENDPOINT/S3_BUCKET/S3_ACCESS_KEY/S3_SECRET_KEY/S3_REGION. */
export function configFromEnv(env: NodeJS.ProcessEnv, overrides: { archiveDir?: string } = {}): ArchiveConfig {
  const config: ArchiveConfig = { archiveDir: overrides.archiveDir ?? env['ARCHIVE_DIR'] ?? './archive-data' };
  const databaseUrl = env['DATABASE_URL'];
  if (databaseUrl) {
    // node-postgres reads anything else as a host name, and fails later on a host called "base" or the like.
    // The value is not repeated: it may hold a password.
    if (!/^postgres(ql)?:$/.test(protocolOf(databaseUrl))) {
      throw new ConfigError('DATABASE_URL is not a postgres://user:password@host:port/database URL');
    }
    config.databaseUrl = databaseUrl;
  }
  const endpoint = env['S3_ENDPOINT'];
  if (endpoint) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ConfigError(`S3_ENDPOINT is not a URL: ${endpoint}`);
    }
    const missing = ['S3_BUCKET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'].filter((name) => !env[name]);
    if (missing.length) throw new ConfigError(`S3_ENDPOINT is set but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not`);
    const useSSL = url.protocol === 'https:';
    config.s3 = {
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      bucket: env['S3_BUCKET']!,
      accessKey: env['S3_ACCESS_KEY']!,
      secretKey: env['S3_SECRET_KEY']!,
      region: env['S3_REGION'] || 'us-east-1',
    };
  }
  return config;
}

function protocolOf(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}
