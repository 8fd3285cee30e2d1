// Recording events.k8s.io/v1 Events about objects. A repeat of the same event (same object,
// reason, action, type and note) within the series window is folded into the first one's series
// (count and lastObservedTime) instead of creating another Event.
import { randomBytes } from 'node:crypto';
import type { Event } from '../api/kinds/events.ts';
import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import type { Logger } from '../common/log.ts';

const SERIES_WINDOW_MS = 6 * 60_000;
const microTime = (d = new Date()) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note?: string;
  /** The part of the object it is about, e.g. spec.containers{server}. */
  fieldPath?: string;
}

export class EventRecorder {
  private readonly events;
  private readonly controller: string;
  private readonly instance: string;
  private readonly log: Logger;
  /** series key → the Event that holds the series and when it was last seen */
  private readonly recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();

  constructor(client: KubeClient, controller: string, instance: string, log: Logger) {
    this.events = client.resource<Event>('events.k8s.io/v1', 'Event');
    this.controller = controller;
    this.instance = instance;
    this.log = log;
  }

  /** Records an event; failures are logged, never thrown (events are best effort). */
  async publish(regarding: KubeObject, spec: EventSpec): Promise<void> {
    const namespace = regarding.metadata.namespace ?? 'default';
    const note = spec.note?.slice(0, 1024);
    const key = JSON.stringify([regarding.metadata.uid, spec.fieldPath, spec.reason, spec.action, spec.type, note]);
    const now = Date.now();
    this.prune(now);
    const seen = this.recent.get(key);
    try {
      if (seen) {
        seen.count++;
        seen.at = now;
        await this.events.patch(seen.name, seen.namespace, { series: { count: seen.count, lastObservedTime: microTime() } }, 'merge');
        return;
      }
      const name = `${regarding.metadata.name}.${now.toString(16)}${randomBytes(2).toString('hex')}`;
      await this.events.create({
        apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name, namespace },
        eventTime: microTime(), reportingController: this.controller, reportingInstance: this.instance,
        action: spec.action, reason: spec.reason, type: spec.type, note,
        regarding: {
          apiVersion: regarding.apiVersion, kind: regarding.kind, name: regarding.metadata.name,
          namespace: regarding.metadata.namespace, uid: regarding.metadata.uid, resourceVersion: regarding.metadata.resourceVersion,
          ...(spec.fieldPath ? { fieldPath: spec.fieldPath } : {}),
        },
      });
      this.recent.set(key, { name, namespace, count: 1, at: now });
    } catch (err) {
      if (seen && isNotFound(err)) this.recent.delete(key);
      this.log.warn({ err: String(err), reason: spec.reason }, 'could not record event');
    }
  }

  private prune(now: number): void {
    for (const [k, v] of this.recent) if (now - v.at > SERIES_WINDOW_MS) this.recent.delete(k);
  }
}
