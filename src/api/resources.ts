// The resource model: what the API server serves for each kind, independent of storage and HTTP.
import type { JSONSchemaProps } from './schema.ts';

export interface PrinterColumn {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** One served version of one resource (e.g. v1 pods, or a CRD's v1alpha1). */
export interface ResourceDefinition {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** The lower-case plural used in URLs, e.g. "pods". */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources served under /{name}/{subresource}: "status", "scale", "binding", "log", "eviction", "token", "approval". */
  subresources: string[];
  scale?: ScaleSubresource;
  /** The structural schema of the whole object (apiVersion, kind, metadata included). */
  schema?: JSONSchemaProps;
  /** A CRD version's additionalPrinterColumns: the table columns after NAME (AGE alone when absent), for kubectl get. */
  printerColumns?: PrinterColumn[];
  /** The version objects of this resource are stored in; other versions are converted. */
  storageVersion: string;
  /** True when the kind has spec/status split so that a status write ignores the rest. */
  hasStatus: boolean;
  /**
   * Another resource whose storage this one shares, converting on the way in and out (as
   * events.k8s.io Events share core Events' storage in Kubernetes).
   */
  storedAs?: { group: string; plural: string };
  /** Definition name prefix used in OpenAPI, e.g. "io.k8s.api.core.v1". */
  openapiPrefix?: string;
}

export const READ_VERBS = ['get', 'list', 'watch'];
export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function groupVersion(r: Pick<ResourceDefinition, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}
