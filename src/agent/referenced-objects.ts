// The ConfigMaps and Secrets this node's pods reference, each followed on its own: a watch of one
// object (fieldSelector metadata.name=NAME in its namespace), as a kubelet does. A node's
// credential may read only what its pods use, so the agent never lists ConfigMaps or Secrets; a
// watch starts when the first pod needing the object is synced and stops with the last one.
// A change (or the object appearing or going) wakes every pod that uses it.
import type { KubeObject } from '../api/meta.ts';
import { escapeFieldValue } from '../api/selectors.ts';
import type { KubeClient } from '../client/client.ts';
import type { Logger } from '../common/log.ts';
import { parseRefKey, refKey, type ObjectRef } from '../runtime/store.ts';
import { watcher } from '../runtime/watcher.ts';
import type { Pod } from './pod-types.ts';
import { referencedConfig } from './references.ts';

export type ReferencedKind = 'ConfigMap' | 'Secret';

interface Followed {
  object?: KubeObject;
  /** Keys of the pods that use it. */
  users: Set<string>;
  stop: AbortController;
  /** Settles after the first list (or the first failed attempt): what is known is then known. */
  ready: Promise<void>;
}

export class ReferencedObjects {
  private readonly client: KubeClient;
  private readonly wake: (pod: ObjectRef) => void;
  private readonly log: Logger;
  private readonly signal: AbortSignal;
  private readonly followed = new Map<string, Followed>();
  /** pod key → the keys of what it references. */
  private readonly byPod = new Map<string, string[]>();

  constructor(client: KubeClient, wake: (pod: ObjectRef) => void, log: Logger, signal: AbortSignal) {
    this.client = client;
    this.wake = wake;
    this.log = log;
    this.signal = signal;
  }

  /** The object as last seen; undefined when it does not exist (or could not be read yet). */
  get(kind: ReferencedKind, namespace: string, name: string): KubeObject | undefined {
    return this.followed.get(objectKey(kind, namespace, name))?.object;
  }

  /**
   * Follows what `pod` references (and stops following what it no longer does); resolves once
   * each of them has been read once, so a pod's first sync sees its configuration.
   */
  async track(pod: Pod): Promise<void> {
    const podKey = refKey({ namespace: pod.metadata.namespace, name: pod.metadata.name! });
    const namespace = pod.metadata.namespace ?? 'default';
    const refs = referencedConfig(pod);
    const keys = [
      ...[...refs.configMaps].map((name) => objectKey('ConfigMap', namespace, name)),
      ...[...refs.secrets].map((name) => objectKey('Secret', namespace, name)),
    ];
    const previous = this.byPod.get(podKey) ?? [];
    this.byPod.set(podKey, keys);
    for (const key of keys) {
      let f = this.followed.get(key);
      if (!f) this.followed.set(key, (f = this.follow(key)));
      f.users.add(podKey);
    }
    for (const key of previous) if (!keys.includes(key)) this.unuse(key, podKey);
    await Promise.all(keys.map((key) => this.followed.get(key)!.ready));
  }

  /** The pod is gone: stops following what only it used. */
  release(pod: ObjectRef): void {
    const podKey = refKey(pod);
    for (const key of this.byPod.get(podKey) ?? []) this.unuse(key, podKey);
    this.byPod.delete(podKey);
  }

  /** How many objects are followed (each with its own watch). */
  get size(): number {
    return this.followed.size;
  }

  private unuse(key: string, podKey: string): void {
    const f = this.followed.get(key);
    if (!f) return;
    f.users.delete(podKey);
    if (f.users.size > 0) return;
    f.stop.abort();
    this.followed.delete(key);
  }

  private follow(key: string): Followed {
    const [kind, namespace, name] = key.split('/') as [ReferencedKind, string, string];
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    this.signal.addEventListener('abort', onAbort, { once: true });
    let settle!: () => void;
    const f: Followed = { users: new Set(), stop, ready: new Promise<void>((resolve) => (settle = resolve)) };
    const changed = (object: KubeObject | undefined) => {
      if (f.object?.metadata.resourceVersion === object?.metadata.resourceVersion) return;
      f.object = object;
      for (const pod of f.users) this.wake(parseRefKey(pod));
    };
    const log = this.log.child({ kind, namespace, name });
    void (async () => {
      let listed: KubeObject | undefined;
      const events = watcher(this.client.resource('v1', kind), {
        namespace, fieldSelector: `metadata.name=${escapeFieldValue(name)}`,
        onRestart: (reason, err) => {
          if (reason === 'error') {
            log.warn({ err: String(err) }, 'cannot read a referenced object; retrying');
            settle();
          }
        },
      }, stop.signal);
      for await (const event of events) {
        switch (event.type) {
          case 'Init':
            listed = undefined;
            break;
          case 'InitApply':
            listed = event.object;
            break;
          case 'InitDone':
            changed(listed);
            settle();
            break;
          case 'Apply':
            changed(event.object);
            break;
          case 'Delete':
            changed(undefined);
            break;
        }
      }
      settle();
      this.signal.removeEventListener('abort', onAbort);
    })();
    return f;
  }
}

function objectKey(kind: ReferencedKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}
