// Roles and role groups, the shape every Granary product's custom resource shares.
//
// A product runs as one or more roles (ZooKeeper: "server"; HDFS: "namenode", "datanode").
// A role is split into role groups that differ in placement or configuration, e.g. servers on
// SSD hosts vs. the rest. Configuration set on the role applies to all its groups; a group's own
// settings win over the role's. Overrides are the escape hatch: raw file properties, environment
// variables and command-line arguments written as given.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DNS_LABEL_MAX, isDnsLabel, RUNTIME_LABEL_PREFIX } from './labels.ts';
import { LabelSelectorSchema, validateLabelSelector, type LabelSelector } from './selector.ts';
import { ownValue, setOwn } from '../common/own-properties.ts';

/** Replicas of a role group that does not say. */
export const DEFAULT_REPLICAS = 1;


/** File name → property → value, written into that file as given. */
export const ConfigOverridesSchema = Type.Record(Type.String(), Type.Record(Type.String(), Type.String()), {
  description: 'Properties per configuration file, e.g. {"zoo.cfg": {"maxClientCnxns": "100"}}. They win over every other setting.',
});
export const EnvOverridesSchema = Type.Record(Type.String(), Type.String(), {
  description: 'Environment variables of the process. They win over every other setting.',
});
export const CliOverridesSchema = Type.Record(Type.String(), Type.String(), {
  description: 'Command-line arguments of the process, as name → value. They win over every other setting.',
});

export type ConfigOverrides = Static<typeof ConfigOverridesSchema>;

/** The shared part of a role and a role group. */
export interface Configurable<T> {
  config?: T;
  configOverrides?: Record<string, Record<string, string>>;
  envOverrides?: Record<string, string>;
  cliOverrides?: Record<string, string>;
}

/** How a role group's pods run: from packages on bare metal (systemd, supervised processes) or as OCI containers. */
export type GroupRuntime = 'package' | 'container';

export interface RoleGroup<T> extends Configurable<T> {
  /** Number of pods of this group; DEFAULT_REPLICAS when absent. */
  replicas?: number;
  /** The nodes this group's pods may run on; all nodes when absent. */
  selector?: LabelSelector;
  /** 'package' when absent. */
  runtime?: GroupRuntime;
}

export interface Role<T> extends Configurable<T> {
  roleGroups: Record<string, RoleGroup<T>>;
}

/** The schema of a role group whose `config` follows `config` (the product's config schema). */
export function RoleGroupSchema<T extends TSchema>(config: T) {
  return Type.Object({
    replicas: Type.Optional(Type.Integer({ minimum: 0, description: `Number of pods (default ${DEFAULT_REPLICAS}).` })),
    selector: Type.Optional(LabelSelectorSchema),
    runtime: Type.Optional(Type.Union([Type.Literal('package'), Type.Literal('container')], {
      description: 'package (default): the pods run from Debian packages as systemd services or processes on bare-metal nodes; container: they run as OCI containers on nodes with a container runtime. The nodes chosen have that runtime (label runtime.granary.dev/container).',
    })),
    config: Type.Optional(config),
    configOverrides: Type.Optional(ConfigOverridesSchema),
    envOverrides: Type.Optional(EnvOverridesSchema),
    cliOverrides: Type.Optional(CliOverridesSchema),
  });
}

/** The schema of a role, for embedding in a product's CRD: `servers: RoleSchema(ZookeeperConfig)`. */
export function RoleSchema<T extends TSchema>(config: T) {
  return Type.Object({
    config: Type.Optional(config),
    configOverrides: Type.Optional(ConfigOverridesSchema),
    envOverrides: Type.Optional(EnvOverridesSchema),
    cliOverrides: Type.Optional(CliOverridesSchema),
    roleGroups: Type.Record(Type.String(), RoleGroupSchema(config), {
      description: 'Role groups by name (lowercase letters, digits and \'-\').',
    }),
  });
}

/**
 * Problems the schema cannot express, each prefixed with its field path under `path`
 * (e.g. "spec.servers"): role group names usable in object names and labels, whole replica
 * counts and valid node selectors. (Override names and values are checked when the
 * configuration is merged, see product-config/merge.ts.)
 */
export function validateRole<T>(role: Role<T>, path: string): string[] {
  const problems: string[] = [];
  const groups = Object.entries(role.roleGroups ?? {});
  if (groups.length === 0) problems.push(`${path}.roleGroups: must name at least one role group`);
  for (const [name, group] of groups) {
    const at = `${path}.roleGroups.${name}`;
    if (!isDnsLabel(name)) {
      problems.push(`${path}.roleGroups: "${name}" is not a valid role group name: use at most ${DNS_LABEL_MAX} lowercase letters, digits and '-', starting and ending with a letter or digit`);
    }
    if (group.replicas !== undefined && !(Number.isInteger(group.replicas) && group.replicas >= 0)) {
      problems.push(`${at}.replicas: must be a whole number of at least 0, got ${group.replicas}`);
    }
    if (group.selector) problems.push(...validateLabelSelector(group.selector, `${at}.selector`));
  }
  return problems;
}

/**
 * The nodes a role group's pods may run on: its selector, narrowed to nodes with the group's
 * runtime (runtime.granary.dev/container=true for containers, its absence for packages).
 */
export function groupNodeSelector<T>(group: RoleGroup<T>): LabelSelector {
  const key = `${RUNTIME_LABEL_PREFIX}container`;
  const requirement = (group.runtime ?? 'package') === 'container'
    ? { key, operator: 'In' as const, values: ['true'] }
    : { key, operator: 'DoesNotExist' as const };
  return { ...group.selector, matchExpressions: [...(group.selector?.matchExpressions ?? []), requirement] };
}

/** Desired pods per role group. */
export function desiredReplicas<T>(role: Role<T>): Record<string, number> {
  return Object.fromEntries(Object.entries(role.roleGroups).map(([name, group]) => [name, group.replicas ?? DEFAULT_REPLICAS]));
}

/**
 * The typed config of one role group: the role's config with the group's merged over it.
 * Objects merge key by key at every depth; anything else (numbers, strings, arrays) set on the
 * group replaces the role's; keys the group leaves undefined keep the role's value.
 */
export function mergedConfig<T>(role: Role<T>, groupName: string): T | undefined {
  const group = ownValue(role.roleGroups, groupName);
  if (!group) throw new RangeError(`role has no role group "${groupName}"`);
  if (role.config === undefined) return group.config;
  if (group.config === undefined) return role.config;
  return mergeValues(role.config, group.config) as T;
}

function mergeValues(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) setOwn(out, key, mergeValues(ownValue(base, key), value));
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
