import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import { ContactRequiredError } from './errors.js';

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

function looksLikeContact(contact: string): boolean {
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(contact)) return true;
  try {
    const url = new URL(contact);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Builds `wdtk-archive/<version> (+<contact>)`; a public site must be able to reach whoever runs the crawler. */
export function buildUserAgent(site: URL, version: string, contact: string | undefined): string {
  const trimmed = contact?.trim();
  if (trimmed) {
    if (!looksLikeContact(trimmed) || /[()\r\n]/.test(trimmed)) {
      throw new ContactRequiredError(`contact "${trimmed}" is not an email address or an http(s) URL`);
    }
    return `wdtk-archive/${version} (+${trimmed})`;
  }
  if (isLoopbackHost(site.hostname)) return `wdtk-archive/${version} (+local-test)`;
  throw new ContactRequiredError(
    `a contact email or URL is required to crawl ${site.host}: it is run by a charity, and its operators must be able to reach whoever runs this crawler (pass --contact)`,
  );
}

export function packageVersion(): string {
  const manifest = createRequire(import.meta.url)('../../package.json') as { version?: string };
  return manifest.version ?? '0.0.0';
}
