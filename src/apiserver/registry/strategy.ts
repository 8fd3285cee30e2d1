// Per-kind behaviour the generic store defers to, in the manner of Kubernetes' REST strategies.
import type { KubeObject, StatusCause } from '../../api/meta.ts';
import type { ResourceDefinition } from '../../api/resources.ts';
import type { NameRule } from '../validation/names.ts';

export interface DeleteDecision {
  /** Seconds the object stays, marked for deletion, until its owner (e.g. a node agent) confirms. */
  gracePeriodSeconds: number;
}

export interface Strategy {
  /** How metadata.name is validated. Default: RFC 1123 subdomain. */
  nameRule?: NameRule;
  /** Fills defaults on a create or update body (before validation). */
  defaults?(obj: KubeObject): void;
  /**
   * Before prepareForCreate and validation: takes what the object needs from pools shared by all
   * objects of the kind (a Service's cluster IP and node ports). Throws an ApiError to refuse.
   */
  beginCreate?(obj: KubeObject, dryRun: boolean): void;
  /** The same on an update of the object itself (not a subresource), knowing the stored object. */
  beginUpdate?(obj: KubeObject, old: KubeObject, dryRun: boolean): void;
  /** Resets what a create may not set (e.g. a new pod's status), and sets initial system state. */
  prepareForCreate?(obj: KubeObject): void;
  /** Carries over what an update may not change. Runs after the generic status/spec split. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** After a status or approval write is merged with the stored object: what that subresource may not change. */
  prepareForSubresourceUpdate?(subresource: string, obj: KubeObject, old: KubeObject): void;
  validate?(obj: KubeObject): StatusCause[];
  validateUpdate?(obj: KubeObject, old: KubeObject): StatusCause[];
  /** Fields beyond metadata.name and metadata.namespace that field selectors may use. */
  selectableFields?(obj: KubeObject): Record<string, string>;
  /** Decides whether a delete is graceful (pods bound to a node). */
  gracefulDelete?(obj: KubeObject, requestedGracePeriod: number | undefined): DeleteDecision | undefined;
  /** Called once when an object is marked for deletion, to record that in its own fields. */
  onDeleteRequested?(obj: KubeObject): void;
  /** True while something other than metadata.finalizers holds the deletion (a namespace's spec.finalizers). */
  deletionBlocked?(obj: KubeObject): boolean;
  /** Conversion to and from the shape of the resource this one is stored as. */
  conversion?: StorageConversion;
  /** Refuses a delete outright (e.g. the default namespace): why, for the 403 `<resource> "<name>" is forbidden: <why>`. */
  forbidDelete?(obj: KubeObject): string | undefined;
}

/** For a resource stored as another (see ResourceDefinition.storedAs): its two conversions. */
export interface StorageConversion {
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
}

export type StrategyFor = (resource: ResourceDefinition) => Strategy;
