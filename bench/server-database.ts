import pg from 'pg';

/** Runs one statement on the server `serverUrl` names (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the same server as `serverUrl`. */
export function databaseUrlBeside(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A new empty database beside `serverUrl`'s, and how to drop it. */
export async function createDatabaseBeside(serverUrl: string, name: string): Promise<{ databaseUrl: string; drop: () => Promise<void> }> {
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  return { databaseUrl: databaseUrlBeside(serverUrl, name), drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
