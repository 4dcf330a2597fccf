import { defineConfig } from 'drizzle-kit';

// Generation only: migrations are applied in code on open (storage/db/connect.ts), because
// `drizzle-kit migrate` does not load PGlite's pg_trgm extension.
export default defineConfig({
  dialect: 'postgresql',
  schema: './storage/db/schema.ts',
  out: './migrations',
});
