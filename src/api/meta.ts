// The generic shapes every kind shares: KubeObject, its metadata, lists, Status, watch events and
// conditions — each the static type of its schema in kinds/meta.ts, the one place a field is
// declared. Types and apiVersion helpers only; no I/O.

import type { Static } from '@sinclair/typebox';
import type { KubeObjectListSchema, KubeObjectSchema, WatchEventSchema } from './kinds/meta.ts';

export type {
  Condition, ListMeta, ManagedFieldsEntry, ObjectMeta, OwnerReference, Status, StatusCause, StatusDetails,
} from './kinds/meta.ts';

/**
 * Any object as the API serves it: apiVersion, kind and metadata, and the fields of its kind,
 * unknown here. Every kind's type (the static type of its schema) is a KubeObject.
 */
export interface KubeObject extends Static<typeof KubeObjectSchema> {
  [key: string]: unknown;
}

/**
 * An object of kind K as a client sent it, before validation: apiVersion, kind and metadata as
 * every object has them, any of the kind's own fields possibly missing.
 */
export type Unvalidated<K extends KubeObject> = Pick<K, 'apiVersion' | 'kind' | 'metadata'> & Partial<Omit<K, 'apiVersion' | 'kind' | 'metadata'>>;

/** A list response: list metadata and the items. */
export type KubeList<T = KubeObject> = Omit<Static<typeof KubeObjectListSchema>, 'items'> & { items: T[] };

/** One change on a watch stream, its object typed by the caller. */
export type WatchEvent<T = KubeObject> = Omit<Static<typeof WatchEventSchema>, 'object'> & { object: T };

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** "apps/v1" → {group: "apps", version: "v1"}; "v1" → {group: "", version: "v1"}. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function formatApiVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
