// SQLite storage as a revision log (the kine model): one table, one row per write, row id = revision.
// Writes are checked and given their revision at once on the main thread; a writer thread commits
// them in batches, one transaction per batch (group commit), and each write is acknowledged only
// after its transaction is durable (WAL, synchronous=FULL). While one batch commits, the next
// gathers. Reads of history use a separate connection on the main thread.
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync } from 'node:fs';
import { ensurePrivateFileSync } from '../../common/private-files.ts';
import { dirname } from 'node:path';
import { PreconditionFailed, RevisionCompacted, type StorageBackend, type StorageEvent, type StoredEntry } from './backend.ts';
import type { WriterReply, WriterRequest, WriterRow } from './sqlite-writer.ts';

interface LiveKey { modRevision: number; createRevision: number; value: string }

interface PendingWrite {
  event: StorageEvent;
  deleted: boolean;
  prevRevision: number;
  resolve: (revision: number) => void;
  reject: (err: Error) => void;
}

interface Batch { writes: PendingWrite[]; undo: Map<string, LiveKey | undefined> }
type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;

export class SqliteBackend implements StorageBackend {
  private readonly db: DatabaseSync;
  private readonly writer: Worker;
  private writerSeq = 0;
  private readonly writerReplies = new Map<number, (reply: WriterReply) => void>();
  private inflight: Batch | undefined;
  /** Latest state of every live key, including writes not yet committed (so conflicts are seen at once). */
  private readonly live = new Map<string, LiveKey>();
  private revision = 0;
  private committedRevision = 0;
  private compacted = 0;
  private pending: PendingWrite[] = [];
  /** The state of each key touched by the pending batch before the batch, to undo a failed commit. */
  private undo = new Map<string, LiveKey | undefined>();
  private flushScheduled = false;
  private readonly watchers = new Set<(events: StorageEvent[]) => void>();
  private closed = false;

  constructor(path: string) {
    if (path !== ':memory:') {
      // Every object (every Secret, unless encrypted) is in these files: the owner's alone. SQLite
      // gives the -wal and -shm files it creates the database file's mode.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      for (const file of [path, `${path}-wal`, `${path}-shm`]) if (file === path || existsSync(file)) ensurePrivateFileSync(file);
    }
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS kv (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        create_revision INTEGER NOT NULL,
        prev_revision INTEGER NOT NULL,
        value TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    const max = this.db.prepare('SELECT COALESCE(MAX(id), 0) AS rev FROM kv').get() as { rev: number };
    const compact = this.db.prepare("SELECT value FROM meta WHERE key = 'compact_revision'").get() as { value: number } | undefined;
    this.compacted = compact?.value ?? 0;
    this.revision = this.committedRevision = Math.max(Number(max.rev), this.compacted);
    const rows = this.db.prepare(`
      SELECT kv.name, kv.value, kv.id, kv.create_revision FROM kv
      JOIN (SELECT MAX(id) AS id FROM kv GROUP BY name) latest ON kv.id = latest.id
      WHERE kv.deleted = 0`).all() as { name: string; value: string; id: number; create_revision: number }[];
    for (const row of rows) this.live.set(row.name, { modRevision: Number(row.id), createRevision: Number(row.create_revision), value: row.value });
    this.writer = new Worker(new URL('./sqlite-writer.ts', import.meta.url), { workerData: { path } });
    this.writer.on('message', (reply: WriterReply) => {
      const done = this.writerReplies.get(reply.seq);
      this.writerReplies.delete(reply.seq);
      done?.(reply);
    });
    this.writer.on('error', (err) => {
      for (const done of this.writerReplies.values()) done({ seq: -1, error: `storage writer failed: ${err.message}` });
      this.writerReplies.clear();
    });
  }

  private send(req: WithoutSeq<WriterRequest>): Promise<void> {
    const seq = ++this.writerSeq;
    return new Promise((resolve, reject) => {
      this.writerReplies.set(seq, (reply) => (reply.error ? reject(new Error(reply.error)) : resolve()));
      this.writer.postMessage({ ...req, seq });
    });
  }

  currentRevision(): number {
    return this.committedRevision;
  }

  async listAll(): Promise<{ entries: StoredEntry[]; revision: number }> {
    // Writes not yet durable are excluded: the snapshot must match committedRevision exactly.
    const entries: StoredEntry[] = [];
    for (const [key, state] of this.live) {
      // A key touched by writes not yet durable is listed as it was before them.
      const before = this.inflight?.undo.has(key) ? this.inflight.undo.get(key) : this.undo.has(key) ? this.undo.get(key) : state;
      if (before) entries.push({ key, value: before.value, modRevision: before.modRevision, createRevision: before.createRevision });
    }
    return { entries, revision: this.committedRevision };
  }

  async listAt(prefix: string, revision: number): Promise<StoredEntry[]> {
    if (revision <= this.compacted) throw new RevisionCompacted(revision, this.compacted);
    const rows = this.db.prepare(`
      SELECT kv.name, kv.value, kv.id, kv.create_revision FROM kv
      JOIN (SELECT MAX(id) AS id FROM kv WHERE id <= ? AND name >= ? AND name < ? GROUP BY name) latest ON kv.id = latest.id
      WHERE kv.deleted = 0 ORDER BY kv.name`).all(revision, prefix, prefix + '\uffff') as { name: string; value: string; id: number; create_revision: number }[];
    return rows.map((r) => ({ key: r.name, value: r.value, modRevision: Number(r.id), createRevision: Number(r.create_revision) }));
  }

  watch(afterRevision: number, onEvents: (events: StorageEvent[]) => void, onError: (err: Error) => void): () => void {
    if (afterRevision < this.compacted) {
      onError(new RevisionCompacted(afterRevision, this.compacted));
      return () => {};
    }
    if (afterRevision < this.committedRevision) {
      const history = this.eventsAfter(afterRevision);
      if (history.length > 0) onEvents(history);
    }
    this.watchers.add(onEvents);
    return () => this.watchers.delete(onEvents);
  }

  create(key: string, value: string): Promise<number> {
    if (this.live.has(key)) return Promise.reject(new PreconditionFailed('exists', key));
    const revision = ++this.revision;
    return this.enqueue(key, { modRevision: revision, createRevision: revision, value }, {
      type: 'put', key, value, revision, createRevision: revision,
    }, false, 0);
  }

  update(key: string, value: string, expectedModRevision: number): Promise<number> {
    const current = this.live.get(key);
    if (!current) return Promise.reject(new PreconditionFailed('missing', key));
    if (current.modRevision !== expectedModRevision) return Promise.reject(new PreconditionFailed('revision', key));
    const revision = ++this.revision;
    return this.enqueue(key, { modRevision: revision, createRevision: current.createRevision, value }, {
      type: 'put', key, value, prevValue: current.value, revision, createRevision: current.createRevision,
    }, false, current.modRevision);
  }

  delete(key: string, expectedModRevision: number): Promise<number> {
    const current = this.live.get(key);
    if (!current) return Promise.reject(new PreconditionFailed('missing', key));
    if (current.modRevision !== expectedModRevision) return Promise.reject(new PreconditionFailed('revision', key));
    const revision = ++this.revision;
    return this.enqueue(key, undefined, {
      type: 'delete', key, value: current.value, prevValue: current.value, revision, createRevision: current.createRevision,
    }, true, current.modRevision);
  }

  async compact(revision: number): Promise<void> {
    const target = Math.min(revision, this.committedRevision);
    if (target <= this.compacted) return;
    await this.send({ op: 'compact', revision: target });
    this.compacted = Math.max(this.compacted, target);
  }

  compactedRevision(): number {
    return this.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.inflight || this.pending.length > 0) {
      if (!this.inflight) this.commitNext();
      await new Promise<void>((resolve) => this.drained.push(resolve));
    }
    await this.send({ op: 'close' });
    await this.writer.terminate();
    this.watchers.clear();
    this.db.close();
  }

  private drained: (() => void)[] = [];

  private enqueue(key: string, next: LiveKey | undefined, event: StorageEvent, deleted: boolean, prevRevision: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('storage is closed'));
    if (!this.undo.has(key)) this.undo.set(key, this.live.get(key));
    if (next) this.live.set(key, next);
    else this.live.delete(key);
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ event, deleted, prevRevision, resolve, reject });
      if (!this.flushScheduled && !this.inflight) {
        this.flushScheduled = true;
        // Gather every write of this turn of the event loop into one batch.
        setImmediate(() => {
          this.flushScheduled = false;
          if (!this.inflight) this.commitNext();
        });
      }
    });
  }

  /** Sends the gathered writes to the writer thread as one transaction. */
  private commitNext(): void {
    if (this.pending.length === 0) return;
    const batch: Batch = { writes: this.pending, undo: this.undo };
    this.pending = [];
    this.undo = new Map();
    this.inflight = batch;
    const rows: WriterRow[] = batch.writes.map((w) => ({
      id: w.event.revision, name: w.event.key, created: w.event.type === 'put' && w.prevRevision === 0 ? 1 : 0, deleted: w.deleted ? 1 : 0,
      createRevision: w.event.createRevision, prevRevision: w.prevRevision, value: w.event.value,
    }));
    this.send({ op: 'commit', rows }).then(() => this.committed(batch), (err: Error) => this.failed(batch, err));
  }

  private committed(batch: Batch): void {
    this.inflight = undefined;
    this.committedRevision = batch.writes[batch.writes.length - 1].event.revision;
    const events = batch.writes.map((w) => w.event);
    for (const watcher of this.watchers) watcher(events);
    for (const w of batch.writes) w.resolve(w.event.revision);
    this.afterBatch();
  }

  /**
   * Nothing of the batch is durable. Writes gathered since were checked against its state, so they
   * fail too: restore every key they touched and hand their revisions back.
   */
  private failed(batch: Batch, err: Error): void {
    this.inflight = undefined;
    const later = { writes: this.pending, undo: this.undo };
    this.pending = [];
    this.undo = new Map();
    for (const undo of [later.undo, batch.undo]) {
      for (const [key, state] of undo) {
        if (state) this.live.set(key, state);
        else this.live.delete(key);
      }
    }
    this.revision = this.committedRevision;
    const failure = new Error(`storage write failed: ${err.message}`);
    for (const w of [...batch.writes, ...later.writes]) w.reject(failure);
    this.afterBatch();
  }

  private afterBatch(): void {
    if (this.pending.length > 0) this.commitNext();
    const waiters = this.drained;
    this.drained = [];
    for (const w of waiters) w();
  }

  private eventsAfter(afterRevision: number): StorageEvent[] {
    const rows = this.db.prepare(`
      SELECT kv.id, kv.name, kv.deleted, kv.create_revision, kv.value, prev.value AS prev_value FROM kv
      LEFT JOIN kv AS prev ON prev.id = kv.prev_revision
      WHERE kv.id > ? AND kv.id <= ? ORDER BY kv.id`).all(afterRevision, this.committedRevision) as
      { id: number; name: string; deleted: number; create_revision: number; value: string; prev_value: string | null }[];
    return rows.map((r) => ({
      type: r.deleted ? 'delete' : 'put', key: r.name, value: r.value, prevValue: r.prev_value ?? undefined,
      revision: Number(r.id), createRevision: Number(r.create_revision),
    }));
  }
}
