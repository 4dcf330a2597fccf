// The embedded database's own thread: PGlite runs each statement synchronously, so on the main thread every statement
// stops the crawl's fetching and parsing until it is done (pglite-thread.ts says more). Plain JavaScript, so the
// thread starts the same way under tsx, vitest and the compiled build.
import { parentPort, workerData } from 'node:worker_threads';

/** @type {{ dataDir?: string; dump?: Uint8Array; settings: string[]; textTypes: number[] }} */
const { dataDir, dump, settings, textTypes } = workerData;

// A transaction ended by the main thread's rollback: PGlite rolls back when its callback throws.
const ROLLBACK = Symbol('rollback');

/** What crosses back for an error: its name and message, and the plain fields PGlite's DatabaseError carries. */
function describe(error) {
  if (!(error instanceof Error)) {
    const { name, errno } = /** @type {{ name?: unknown; errno?: unknown }} */ (error ?? {});
    return { isError: false, name: String(name ?? 'error'), ...(typeof errno === 'number' ? { errno } : {}), message: String(error) };
  }
  const fields = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  return { ...fields, isError: true, name: error.name, message: error.message };
}

function reply(id, outcome) {
  try {
    parentPort.postMessage({ id, ...outcome });
  } catch (error) {
    // A result that cannot be copied across (DataCloneError) still answers its message.
    parentPort.postMessage({ id, error: describe(error) });
  }
}

let db;
try {
  const [{ PGlite }, { pg_trgm }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/contrib/pg_trgm')]);
  db = await PGlite.create(dataDir, {
    extensions: { pg_trgm },
    startParams: [...PGlite.defaultStartParams, ...settings],
    // Without them initdb writes Postgres's default 128 MB of shared buffers into postgresql.conf and bootstraps the
    // catalogs with it, beside the new database's own instance: about 40 MiB more at the peak of creating an archive.
    initDbStartParams: settings,
    ...(dump ? { loadDataDir: new Blob([dump]) } : {}),
  });
  const keepText = (value) => value;
  for (const type of textTypes) db.parsers[type] = keepText;
  reply(0, { result: 'ready' });
} catch (error) {
  reply(0, { error: describe(error) });
}

/** Open transactions by the id of the message that began them, each waiting for its end. */
const transactions = new Map();

function begin(id) {
  db.transaction(
    (tx) =>
      new Promise((commit, rollback) => {
        transactions.set(id, { tx, commit, rollback: () => rollback(ROLLBACK), endId: undefined });
        reply(id, { result: id });
      }),
  ).then(
    () => reply(transactions.get(id).endId, { result: null }),
    (error) => {
      const open = transactions.get(id);
      // No entry: the transaction never began, and the begin message gets the error.
      if (!open) reply(id, { error: describe(error) });
      else reply(open.endId, error === ROLLBACK ? { result: null } : { error: describe(error) });
    },
  ).finally(() => transactions.delete(id));
}

function end(id, { tx, commit }) {
  const open = transactions.get(tx);
  if (!open) return reply(id, { error: describe(new Error(`no open transaction ${tx}`)) });
  open.endId = id;
  if (commit) open.commit();
  else open.rollback();
}

async function run(message) {
  const target = message.tx === undefined ? db : transactions.get(message.tx)?.tx;
  if (!target) throw new Error(`no open transaction ${message.tx}`);
  if (message.op === 'query') return target.query(message.text, message.params, message.options);
  return target.exec(message.text, message.options);
}

parentPort.on('message', (message) => {
  const { id, op } = message;
  if (!db) return reply(id, { error: describe(new Error('the embedded database did not open')) });
  if (op === 'begin') return begin(id);
  if (op === 'end') return end(id, message);
  if (op === 'close') {
    return db.close().then(
      () => reply(id, { result: null }),
      (error) => reply(id, { error: describe(error) }),
    );
  }
  run(message).then(
    (result) => reply(id, { result }),
    (error) => reply(id, { error: describe(error) }),
  );
});
