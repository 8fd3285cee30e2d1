// SQLite storage as a revision log (the kine model): one table, one row per write, row id = revision.
// Writes that arrive in the same turn of the event loop are committed in one transaction (group
// commit), and each is acknowledged only after that transaction is durable (WAL, synchronous=FULL).
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PreconditionFailed, RevisionCompacted, type StorageBackend, type StorageEvent, type StoredEntry } from './backend.ts';

interface LiveKey { modRevision: number; createRevision: number; value: string }

interface PendingWrite {
  event: StorageEvent;
  deleted: boolean;
  prevRevision: number;
  resolve: (revision: number) => void;
  reject: (err: Error) => void;
}

export class SqliteBackend implements StorageBackend {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
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
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
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
    this.insert = this.db.prepare('INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const max = this.db.prepare('SELECT COALESCE(MAX(id), 0) AS rev FROM kv').get() as { rev: number };
    const compact = this.db.prepare("SELECT value FROM meta WHERE key = 'compact_revision'").get() as { value: number } | undefined;
    this.compacted = compact?.value ?? 0;
    this.revision = this.committedRevision = Math.max(Number(max.rev), this.compacted);
    const rows = this.db.prepare(`
      SELECT kv.name, kv.value, kv.id, kv.create_revision FROM kv
      JOIN (SELECT MAX(id) AS id FROM kv GROUP BY name) latest ON kv.id = latest.id
      WHERE kv.deleted = 0`).all() as { name: string; value: string; id: number; create_revision: number }[];
    for (const row of rows) this.live.set(row.name, { modRevision: Number(row.id), createRevision: Number(row.create_revision), value: row.value });
  }

  currentRevision(): number {
    return this.committedRevision;
  }

  async listAll(): Promise<{ entries: StoredEntry[]; revision: number }> {
    // Pending writes are excluded: the snapshot must match committedRevision exactly.
    const entries: StoredEntry[] = [];
    for (const [key, state] of this.live) {
      const before = this.undo.has(key) ? this.undo.get(key) : state;
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
    this.db.exec('BEGIN IMMEDIATE');
    try {
      // Keep, for each key, its newest row at or below the target unless that row is a deletion.
      this.db.prepare(`
        DELETE FROM kv WHERE id <= ? AND (deleted = 1 OR id NOT IN (SELECT MAX(id) FROM kv WHERE id <= ? GROUP BY name))`).run(target, target);
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('compact_revision', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(target);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    this.compacted = target;
  }

  compactedRevision(): number {
    return this.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.watchers.clear();
    this.db.close();
  }

  private enqueue(key: string, next: LiveKey | undefined, event: StorageEvent, deleted: boolean, prevRevision: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('storage is closed'));
    if (!this.undo.has(key)) this.undo.set(key, this.live.get(key));
    if (next) this.live.set(key, next);
    else this.live.delete(key);
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ event, deleted, prevRevision, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    const undo = this.undo;
    if (batch.length === 0) return;
    this.pending = [];
    this.undo = new Map();
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        for (const w of batch) {
          const e = w.event;
          this.insert.run(e.revision, e.key, e.type === 'put' && w.prevRevision === 0 ? 1 : 0, w.deleted ? 1 : 0, e.createRevision, w.prevRevision, e.value);
        }
        this.db.exec('COMMIT');
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      }
    } catch (err) {
      // Nothing of the batch is durable: restore the keys and hand the revisions back.
      for (const [key, state] of undo) {
        if (state) this.live.set(key, state);
        else this.live.delete(key);
      }
      this.revision = this.committedRevision;
      const failure = new Error(`storage write failed: ${(err as Error).message}`);
      for (const w of batch) w.reject(failure);
      return;
    }
    this.committedRevision = batch[batch.length - 1].event.revision;
    const events = batch.map((w) => w.event);
    for (const watcher of this.watchers) watcher(events);
    for (const w of batch) w.resolve(w.event.revision);
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
