// Computing the final properties of one role group: every layer of settings merged, every value
// validated against the catalogue.
//
// Precedence, strongest first: role group overrides > role group config > role overrides >
// role config > recommended value > default value. Only the winning value of a property is
// validated: a role-level value that every group replaces never reaches a product.
import type { Role } from '../roles.ts';
import { checkValue } from './datatype.ts';
import { describeKind, propertyKey, valueForVersion, type Catalogue, type PropertyKind } from './catalogue.ts';
import { compareVersions, parseVersion } from './version.ts';

/** Where a value came from. */
export type Source = 'default' | 'recommended' | 'roleConfig' | 'roleOverride' | 'groupConfig' | 'groupOverride';

export type ValidationStatus = 'Valid' | 'Default' | 'RecommendedDefault' | 'Warn' | 'Error';

/** The verdict on one value. Warn still writes the value; Error stops the whole merge. */
export type Validation =
  | { status: 'Valid' | 'Default' | 'RecommendedDefault'; value: string }
  | { status: 'Warn'; value: string; message: string }
  | { status: 'Error'; message: string };

export interface PropertyResult {
  role: string;
  roleGroup: string;
  kind: PropertyKind;
  name: string;
  /** Absent only for a required property nobody set. */
  source?: Source;
  validation: Validation;
}

/** Properties of one layer, as the product maps its typed config to them. Undefined means unset. */
export interface PropertyLayer {
  files?: Record<string, Record<string, string | undefined>>;
  env?: Record<string, string | undefined>;
  cli?: Record<string, string | undefined>;
}

export interface MergedProperties {
  /** File name → property → value, keys sorted. */
  files: Record<string, Record<string, string>>;
  env: Record<string, string>;
  cli: Record<string, string>;
}

export type MergeResult =
  | { ok: true; properties: MergedProperties; results: PropertyResult[]; warnings: PropertyResult[] }
  | {
    ok: false;
    /** Every problem, one line each, fit for a Degraded condition's message. */
    problems: string[];
    errors: PropertyResult[];
    warnings: PropertyResult[];
  };

export interface RoleConfigInput<T> {
  catalogue: Catalogue;
  /** The product version the pods run, for versioned defaults and deprecations. */
  version: string;
  /** The role's name as the catalogue's `roles` lists it. */
  role: string;
  roleSpec: Role<T>;
  /**
   * Maps a typed config (the role's or a group's, separately) to properties. It must return
   * only what the config sets, so that unset fields do not hide lower layers.
   */
  toProperties?: (config: T) => PropertyLayer;
}

export interface RoleGroupConfigInput<T> extends RoleConfigInput<T> {
  roleGroup: string;
}

const SOURCE_WORDS: Record<Source, string> = {
  default: 'default value',
  recommended: 'recommended value',
  roleConfig: 'role config',
  roleOverride: 'role overrides',
  groupConfig: 'role group config',
  groupOverride: 'role group overrides',
};
const USER_SOURCES = new Set<Source>(['roleConfig', 'roleOverride', 'groupConfig', 'groupOverride']);
// Characters no config format here can carry (XML 1.0 forbids them; NUL ends C strings).
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The merged, validated properties of one role group. */
export function mergeRoleGroupConfig<T>(input: RoleGroupConfigInput<T>): MergeResult {
  const version = parseVersion(input.version);
  if (version === undefined) {
    return { ok: false, problems: [`product version "${input.version}" is not a dotted version like 3.9.2`], errors: [], warnings: [] };
  }
  const group = input.roleSpec.roleGroups[input.roleGroup];
  if (!group) return { ok: false, problems: [`role ${input.role} has no role group "${input.roleGroup}"`], errors: [], warnings: [] };

  const chosen = new Map<string, { kind: PropertyKind; name: string; value: string; source: Source }>();
  const set = (kind: PropertyKind, name: string, value: string | undefined, source: Source) => {
    if (value !== undefined) chosen.set(propertyKey(kind, name), { kind, name, value, source });
  };
  const specs = input.catalogue.properties.filter((p) => p.roles.includes(input.role));
  for (const spec of specs) set(spec.kind, spec.name, valueForVersion(spec.default, version), 'default');
  for (const spec of specs) set(spec.kind, spec.name, valueForVersion(spec.recommended, version), 'recommended');
  const layers: [PropertyLayer, Source][] = [
    [input.roleSpec.config !== undefined && input.toProperties ? input.toProperties(input.roleSpec.config) : {}, 'roleConfig'],
    [overridesLayer(input.roleSpec), 'roleOverride'],
    [group.config !== undefined && input.toProperties ? input.toProperties(group.config) : {}, 'groupConfig'],
    [overridesLayer(group), 'groupOverride'],
  ];
  for (const [layer, source] of layers) {
    for (const [file, props] of Object.entries(layer.files ?? {})) {
      for (const [name, value] of Object.entries(props)) set({ file }, name, value, source);
    }
    for (const [name, value] of Object.entries(layer.env ?? {})) set({ env: true }, name, value, source);
    for (const [name, value] of Object.entries(layer.cli ?? {})) set({ cli: true }, name, value, source);
  }

  const base = { role: input.role, roleGroup: input.roleGroup };
  const results: PropertyResult[] = [...chosen.values()].map((c) => ({
    ...base, kind: c.kind, name: c.name, source: c.source,
    validation: validateProperty(input.catalogue, input.role, c.kind, c.name, c.value, version, c.source),
  }));
  for (const spec of specs) {
    if (spec.required?.includes(input.role) && !chosen.has(propertyKey(spec.kind, spec.name))) {
      results.push({ ...base, kind: spec.kind, name: spec.name, validation: { status: 'Error', message: `is required for role ${input.role}: set it in the role's or role group's config` } });
    }
  }
  results.sort(compareResults);

  const errors = results.filter((r) => r.validation.status === 'Error');
  const warnings = results.filter((r) => r.validation.status === 'Warn');
  if (errors.length > 0) return { ok: false, problems: errors.map(describeResult), errors, warnings };
  return { ok: true, properties: collect(results), results, warnings };
}

/** Every role group of a role merged; fails when any group does, listing every group's problems. */
export function mergeRoleConfig<T>(input: RoleConfigInput<T>):
  | { ok: true; groups: Record<string, MergedProperties>; warnings: PropertyResult[] }
  | { ok: false; problems: string[]; errors: PropertyResult[]; warnings: PropertyResult[] } {
  const groups: Record<string, MergedProperties> = {};
  const problems: string[] = [];
  const errors: PropertyResult[] = [];
  const warnings: PropertyResult[] = [];
  for (const roleGroup of Object.keys(input.roleSpec.roleGroups).sort()) {
    const result = mergeRoleGroupConfig({ ...input, roleGroup });
    warnings.push(...result.warnings);
    if (result.ok) groups[roleGroup] = result.properties;
    else {
      errors.push(...result.errors);
      for (const p of result.problems) if (!problems.includes(p)) problems.push(p);
    }
  }
  return problems.length > 0 ? { ok: false, problems, errors, warnings } : { ok: true, groups, warnings };
}

/**
 * The verdict on `value` for property `name` of `kind` used by `role` on product `version`.
 * Unknown properties and properties of other roles are written as given, with a warning: they
 * are how users reach settings the catalogue does not know yet.
 */
export function validateProperty(
  catalogue: Catalogue, role: string, kind: PropertyKind, name: string, value: string, version: readonly number[], source: Source,
): Validation {
  const badCharacter = FORBIDDEN_CHARACTERS.exec(name) ?? FORBIDDEN_CHARACTERS.exec(value);
  if (badCharacter) {
    return { status: 'Error', message: `contains the control character U+${badCharacter[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, which configuration files cannot hold` };
  }
  if ('env' in kind && !ENV_NAME.test(name)) {
    return { status: 'Error', message: 'is not a valid environment variable name: use letters, digits and \'_\', not starting with a digit' };
  }
  const spec = catalogue.find(kind, name);
  if (!spec) return { status: 'Warn', value, message: 'is not a known property; it is written as given' };
  if (!spec.roles.includes(role)) return { status: 'Warn', value, message: `is not used by role ${role}; it is written as given` };
  const checked = checkValue(spec.datatype, value);
  if (!checked.ok) return { status: 'Error', message: checked.message };
  if (USER_SOURCES.has(source) && spec.deprecatedSince !== undefined && compareVersions(version, parseVersion(spec.deprecatedSince)!) >= 0) {
    return { status: 'Warn', value: checked.value, message: `is deprecated since version ${spec.deprecatedSince}` };
  }
  if (source === 'default') return { status: 'Default', value: checked.value };
  if (source === 'recommended') return { status: 'RecommendedDefault', value: checked.value };
  return { status: 'Valid', value: checked.value };
}

/** One line for a Warn or Error result, e.g. `server/default: zoo.cfg "tickTime" (role group config): "x" is not a whole number`. */
export function describeResult(result: PropertyResult): string {
  const origin = result.source ? ` (${SOURCE_WORDS[result.source]})` : '';
  const message = result.validation.status === 'Error' || result.validation.status === 'Warn' ? result.validation.message : result.validation.status;
  return `${result.role}/${result.roleGroup}: ${describeKind(result.kind)} "${result.name}"${origin}: ${message}`;
}

function overridesLayer(c: { configOverrides?: Record<string, Record<string, string>>; envOverrides?: Record<string, string>; cliOverrides?: Record<string, string> }): PropertyLayer {
  return { files: c.configOverrides, env: c.envOverrides, cli: c.cliOverrides };
}

function collect(results: readonly PropertyResult[]): MergedProperties {
  const merged: MergedProperties = { files: {}, env: {}, cli: {} };
  for (const r of results) {
    if (r.validation.status === 'Error') continue;
    const value = r.validation.value;
    if ('file' in r.kind) (merged.files[r.kind.file] ??= {})[r.name] = value;
    else if ('env' in r.kind) merged.env[r.name] = value;
    else merged.cli[r.name] = value;
  }
  return merged;
}

/** Files by name, then env, then cli; properties by name: stable output and messages. */
function compareResults(a: PropertyResult, b: PropertyResult): number {
  const ka = kindOrder(a.kind);
  const kb = kindOrder(b.kind);
  return ka < kb ? -1 : ka > kb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function kindOrder(kind: PropertyKind): string {
  return 'file' in kind ? `0${kind.file}` : 'env' in kind ? '1' : '2';
}
