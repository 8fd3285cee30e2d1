// The app.kubernetes.io labels every object an operator creates carries, and names that always
// fit Kubernetes' limits. Long or unusual inputs are shortened deterministically: the same input
// always gives the same name, and different inputs stay different thanks to a hash suffix.
import { createHash } from 'node:crypto';
import { labelValueErrors } from '../api/selectors.ts';

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_VERSION = 'app.kubernetes.io/version';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_ROLE_GROUP = 'app.kubernetes.io/role-group';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
/**
 * Granary nodes carry runtime.granary.dev/<runtime>=true for each runtime their agent has
 * (systemd, process: packages on bare metal; container: OCI images through containerd).
 */
export const RUNTIME_LABEL_PREFIX = 'runtime.granary.dev/';

/** Longest DNS-1123 label: names of pods, services, and the name part of label keys. */
export const DNS_LABEL_MAX = 63;
/** Longest DNS-1123 subdomain: names of config maps, secrets and most other objects. */
export const DNS_SUBDOMAIN_MAX = 253;
export const LABEL_VALUE_MAX = 63;

const HASH_LENGTH = 8;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface AppLabelsInput {
  /** The product, e.g. "zookeeper". */
  name: string;
  /** The custom resource's name, e.g. "simple-zk". */
  instance: string;
  /** The product version being run. */
  version?: string;
  /** The role, e.g. "server". */
  component?: string;
  roleGroup?: string;
  /** The operator, e.g. "zookeeper-operator". */
  managedBy?: string;
  partOf?: string;
}

/**
 * The full recommended label set for an object. Values that are not valid label values (too
 * long, or with characters labels forbid) are turned into valid ones by `toLabelValue`.
 */
export function appLabels(input: AppLabelsInput): Record<string, string> {
  const labels: Record<string, string> = selectorLabels(input);
  if (input.version !== undefined) labels[LABEL_VERSION] = toLabelValue(input.version);
  if (input.managedBy !== undefined) labels[LABEL_MANAGED_BY] = toLabelValue(input.managedBy);
  if (input.partOf !== undefined) labels[LABEL_PART_OF] = toLabelValue(input.partOf);
  return labels;
}

/**
 * The labels that identify objects of one instance (optionally one role, one role group) and
 * never change over its life: use them in selectors. Version and managed-by are left out since
 * they change on upgrades, and selectors of services and controllers must not.
 */
export function selectorLabels(input: Pick<AppLabelsInput, 'name' | 'instance' | 'component' | 'roleGroup'>): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL_NAME]: toLabelValue(input.name),
    [LABEL_INSTANCE]: toLabelValue(input.instance),
  };
  if (input.component !== undefined) labels[LABEL_COMPONENT] = toLabelValue(input.component);
  if (input.roleGroup !== undefined) labels[LABEL_ROLE_GROUP] = toLabelValue(input.roleGroup);
  return labels;
}

/** True when `name` may name a pod or a service (DNS-1123 label). */
export function isDnsLabel(name: string): boolean {
  return name.length <= DNS_LABEL_MAX && DNS_LABEL.test(name);
}

/** True when `name` may name a config map, secret, ... (DNS-1123 subdomain). */
export function isDnsSubdomain(name: string): boolean {
  return name.length <= DNS_SUBDOMAIN_MAX && DNS_SUBDOMAIN.test(name);
}

/**
 * A valid label value for `raw`: `raw` itself when valid, otherwise its allowed characters
 * (others become '-'), shortened so that '-' and a hash of `raw` fit in 63 characters.
 */
export function toLabelValue(raw: string): string {
  if (labelValueErrors(raw).length === 0) return raw;
  const cleaned = trimToAlphanumeric(raw.replace(/[^-A-Za-z0-9_.]/g, '-'), /[A-Za-z0-9]/);
  return withHash(cleaned, raw, LABEL_VALUE_MAX, /[A-Za-z0-9]/);
}

/**
 * A DNS-1123 label (at most 63 characters) naming an object after `parts`, joined by '-':
 * `resourceName("simple-zk", "server", "default")` is "simple-zk-server-default". When the
 * joined parts are not already a valid name, the result is a lowercased, cleaned, shortened
 * form followed by '-' and a hash of the joined parts, so distinct inputs give distinct names.
 */
export function resourceName(...parts: (string | number)[]): string {
  const joined = joinParts(parts);
  if (isDnsLabel(joined)) return joined;
  const cleaned = trimToAlphanumeric(joined.toLowerCase().replace(/[^a-z0-9-]/g, '-'), /[a-z0-9]/);
  return withHash(cleaned, joined, DNS_LABEL_MAX, /[a-z0-9]/);
}

/** Like `resourceName`, for DNS-1123 subdomains: dots are kept, the limit is 253 characters. */
export function subdomainName(...parts: (string | number)[]): string {
  const joined = joinParts(parts);
  if (isDnsSubdomain(joined)) return joined;
  const cleaned = joined
    .toLowerCase()
    .split('.')
    .map((segment) => trimToAlphanumeric(segment.replace(/[^a-z0-9-]/g, '-'), /[a-z0-9]/))
    .filter((segment) => segment !== '')
    .join('.');
  return withHash(cleaned, joined, DNS_SUBDOMAIN_MAX, /[a-z0-9]/);
}

function joinParts(parts: (string | number)[]): string {
  return parts.map(String).filter((p) => p !== '').join('-');
}

/** `cleaned` cut to fit `max` together with "-<hash of original>", ending on an allowed end character. */
function withHash(cleaned: string, original: string, max: number, endChar: RegExp): string {
  const hash = createHash('sha256').update(original).digest('hex').slice(0, HASH_LENGTH);
  const head = trimToAlphanumeric(cleaned.slice(0, max - HASH_LENGTH - 1), endChar);
  return head === '' ? hash : `${head}-${hash}`;
}

function trimToAlphanumeric(s: string, alphanumeric: RegExp): string {
  let start = 0;
  let end = s.length;
  while (start < end && !alphanumeric.test(s[start])) start++;
  while (end > start && !alphanumeric.test(s[end - 1])) end--;
  return s.slice(start, end);
}
