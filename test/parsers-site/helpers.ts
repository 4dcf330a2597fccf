import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pagesDir = fileURLToPath(new URL('../../fixtures/pages/', import.meta.url));

export function page(name: string): string {
  return readFileSync(pagesDir + name, 'utf8');
}
