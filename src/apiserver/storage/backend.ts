// The contract between the API server and a durable store of keys, in the manner of etcd and kine:
// one global, strictly increasing revision; every write creates a new revision; a key's
// modRevision is the resourceVersion its object is served with.

export interface StoredEntry {
  key: string;
  /** The object serialised as JSON, without metadata.resourceVersion. */
  value: string;
  modRevision: number;
  createRevision: number;
}

export interface StorageEvent {
  type: 'put' | 'delete';
  key: string;
  /** For put: the new value. For delete: the last value before deletion. */
  value: string;
  /** The value before this event, when there was one (needed to tell ADDED from MODIFIED). */
  prevValue?: string;
  revision: number;
  createRevision: number;
}

/** Raised by create when the key exists, and by update/delete when the key is gone or has moved on. */
export class PreconditionFailed extends Error {
  readonly kind: 'exists' | 'missing' | 'revision';
  /**
   * The key's modRevision in storage when the write was refused, when the backend knows it. A watch
   * cache that lags behind (another replica wrote the key) waits for it before the caller retries.
   */
  readonly modRevision: number | undefined;
  constructor(kind: 'exists' | 'missing' | 'revision', key: string, modRevision?: number) {
    super(`${kind === 'exists' ? 'key exists' : kind === 'missing' ? 'key not found' : 'revision mismatch'}: ${key}`);
    this.kind = kind;
    this.modRevision = modRevision;
  }
}

/** Raised when a read or watch asks for a revision that compaction has already removed. */
export class RevisionCompacted extends Error {
  readonly compactRevision: number;
  constructor(requested: number, compactRevision: number) {
    super(`revision ${requested} has been compacted (oldest available is ${compactRevision + 1})`);
    this.compactRevision = compactRevision;
  }
}

export interface StorageBackend {
  /** Every live entry and the revision the snapshot was taken at. */
  listAll(): Promise<{ entries: StoredEntry[]; revision: number }>;
  /** Live entries under a key prefix as they were at a past revision (for exact reads and paging). */
  listAt(prefix: string, revision: number): Promise<StoredEntry[]>;
  /** Delivers, in order, every event after `afterRevision`. Returns a function that stops it. */
  watch(afterRevision: number, onEvents: (events: StorageEvent[]) => void, onError: (err: Error) => void): () => void;
  /** Resolves with the new revision once the write is durable. */
  create(key: string, value: string): Promise<number>;
  update(key: string, value: string, expectedModRevision: number): Promise<number>;
  delete(key: string, expectedModRevision: number): Promise<number>;
  /** Drops history up to and including `revision`; reads and watches before it fail with RevisionCompacted. */
  compact(revision: number): Promise<void>;
  currentRevision(): number;
  close(): Promise<void>;
}
