// The property catalogue: what an operator knows about each setting of its product — where it
// goes (a config file, an environment variable, a command-line argument), which roles use it,
// its value type and bounds, its default and the value Granary recommends per product version,
// and since when it is deprecated. The catalogue is code, written once per product and checked
// when it is defined, so mistakes in it fail the operator's tests rather than a user's cluster.
import { checkDatatype, checkValue, type Datatype } from './datatype.ts';
import { parseVersion, versionInRange } from './version.ts';

/** Where a property goes. */
export type PropertyKind = { file: string } | { env: true } | { cli: true };

/** A value that applies to product versions in [fromVersion, toVersion); absent bounds are open. */
export interface VersionedValue {
  fromVersion?: string;
  toVersion?: string;
  value: string;
}

export interface PropertySpec {
  name: string;
  kind: PropertyKind;
  datatype: Datatype;
  /** What the product uses when the property is not set; written out so files say it. */
  default?: VersionedValue[];
  /** What Granary sets unless the user sets something; wins over `default`. */
  recommended?: VersionedValue[];
  /** Roles that cannot run without a value (from the user, `recommended` or `default`). */
  required?: string[];
  /** Setting it on a product version at or after this one gives a warning. */
  deprecatedSince?: string;
  description: string;
  /** The roles that read this property. */
  roles: string[];
}

export interface Catalogue {
  readonly properties: readonly PropertySpec[];
  /** The property named `name` in `kind`, if the catalogue has one. */
  find(kind: PropertyKind, name: string): PropertySpec | undefined;
}

/** Thrown by `defineCatalogue` when the catalogue itself is wrong: a bug in the operator. */
export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid property catalogue:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** A catalogue over `properties`, after checking them all; throws CatalogueError listing every problem. */
export function defineCatalogue(properties: PropertySpec[]): Catalogue {
  const problems: string[] = [];
  const byKey = new Map<string, PropertySpec>();
  for (const spec of properties) {
    const key = propertyKey(spec.kind, spec.name);
    const where = `${describeKind(spec.kind)} property "${spec.name}"`;
    if (byKey.has(key)) problems.push(`${where} is defined twice`);
    byKey.set(key, spec);
    if (spec.name === '') problems.push(`a ${describeKind(spec.kind)} property has an empty name`);
    if (spec.roles.length === 0) problems.push(`${where} names no roles`);
    for (const role of spec.required ?? []) {
      if (!spec.roles.includes(role)) problems.push(`${where} is required for role "${role}", which does not use it`);
    }
    problems.push(...checkDatatype(spec.datatype).map((p) => `${where}: ${p}`));
    if (spec.deprecatedSince !== undefined && parseVersion(spec.deprecatedSince) === undefined) {
      problems.push(`${where}: deprecatedSince "${spec.deprecatedSince}" is not a dotted version`);
    }
    for (const [field, values] of [['default', spec.default], ['recommended', spec.recommended]] as const) {
      for (const v of values ?? []) {
        for (const bound of [v.fromVersion, v.toVersion]) {
          if (bound !== undefined && parseVersion(bound) === undefined) problems.push(`${where}: ${field} version "${bound}" is not a dotted version`);
        }
        const checked = checkValue(spec.datatype, v.value);
        if (!checked.ok) problems.push(`${where}: ${field} ${checked.message}`);
      }
    }
  }
  if (problems.length > 0) throw new CatalogueError(problems);
  const frozen = [...properties];
  return {
    properties: frozen,
    find: (kind, name) => byKey.get(propertyKey(kind, name)),
  };
}

/** The first of `values` whose version range holds `version` (already parsed). */
export function valueForVersion(values: readonly VersionedValue[] | undefined, version: readonly number[]): string | undefined {
  for (const v of values ?? []) {
    const from = v.fromVersion === undefined ? undefined : parseVersion(v.fromVersion);
    const to = v.toVersion === undefined ? undefined : parseVersion(v.toVersion);
    if (versionInRange(version, from, to)) return v.value;
  }
  return undefined;
}

/** "zoo.cfg", "env" or "cli": how results and messages name a property's kind. */
export function describeKind(kind: PropertyKind): string {
  return 'file' in kind ? kind.file : 'env' in kind ? 'env' : 'cli';
}

/** A key identifying a property by kind and name, for maps. */
export function propertyKey(kind: PropertyKind, name: string): string {
  return `${'file' in kind ? `file:${kind.file}` : describeKind(kind)}\u0000${name}`;
}
