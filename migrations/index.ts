import { fileURLToPath } from 'node:url';

/** The drizzle-kit output in this folder, applied in code by storage on open and by `wdtk-archive db migrate`. */
export const migrationsFolder = fileURLToPath(new URL('.', import.meta.url));
