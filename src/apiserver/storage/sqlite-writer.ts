// The SQLite writer thread: commits batches of rows in one transaction each. It runs in a worker
// so that the main thread keeps serving requests while a commit waits for the disk (fsync).
import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseSync } from 'node:sqlite';

export interface WriterRow {
  id: number; name: string; created: number; deleted: number; createRevision: number; prevRevision: number; value: string;
}

export type WriterRequest =
  | { op: 'commit'; seq: number; rows: WriterRow[] }
  | { op: 'compact'; seq: number; revision: number }
  | { op: 'close'; seq: number };

export interface WriterReply { seq: number; error?: string }

const db = new DatabaseSync((workerData as { path: string }).path);
db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
const insert = db.prepare('INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)');
const compactRows = db.prepare('DELETE FROM kv WHERE id <= ? AND (deleted = 1 OR id NOT IN (SELECT MAX(id) FROM kv WHERE id <= ? GROUP BY name))');
const recordCompaction = db.prepare("INSERT INTO meta (key, value) VALUES ('compact_revision', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");

function transaction(work: () => void): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    work();
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

parentPort!.on('message', (req: WriterRequest) => {
  const reply: WriterReply = { seq: req.seq };
  try {
    if (req.op === 'commit') {
      transaction(() => {
        for (const r of req.rows) insert.run(r.id, r.name, r.created, r.deleted, r.createRevision, r.prevRevision, r.value);
      });
    } else if (req.op === 'compact') {
      // Keep, for each key, its newest row at or below the revision unless that row is a deletion.
      transaction(() => {
        compactRows.run(req.revision, req.revision);
        recordCompaction.run(req.revision);
      });
    } else {
      db.close();
    }
  } catch (err) {
    reply.error = (err as Error).message;
  }
  parentPort!.postMessage(reply);
  if (req.op === 'close') parentPort!.close();
});
