// The vocabulary the built-in kinds are written in: TypeBox constructors that produce
// Kubernetes-structural JSON schemas (every node typed, maps as additionalProperties, lists with
// their merge semantics) and the matching TypeScript types.
//
// Several helpers use Type.Unsafe to emit schema shapes TypeBox has no constructor for
// (string enums, additionalProperties maps, int-or-string), as Kubernetes writes them for its
// JSON-schema consumers (pruning, defaulting, patching, OpenAPI). They carry a TypeBox kind of
// their own, KubeJson, whose check reads those shapes, so TypeBox's Value.Check works on every
// schema too (for tests of a product's CRD schema, say).
import { Kind, Type, TypeRegistry, type TArray, type TBoolean, type TInteger, type TNumber, type TObject, type TOptional, type TProperties, type TSchema, type TString, type TUnsafe, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const KUBE_JSON = 'KubeJson';

TypeRegistry.Set<Record<string, unknown>>(KUBE_JSON, (schema, value) => {
  if (schema['x-kubernetes-int-or-string'] === true) return typeof value === 'string' || Number.isInteger(value);
  if (Array.isArray(schema.enum)) return schema.enum.includes(value);
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (schema.type === 'object' && !isObject) return false;
  const values = schema.additionalProperties as TSchema | undefined;
  if (values !== undefined) return Object.values(value as object).every((v) => Value.Check(values, v));
  return true;
});

/** Type.Unsafe with the KubeJson kind: `schema` as is in JSON, checked by Value.Check as above. */
function kubeJson<T>(schema: Record<string, unknown>): TUnsafe<T> {
  return Type.Unsafe<T>({ ...schema, [Kind]: KUBE_JSON });
}

/** Properties listed in R stay required; every other property becomes optional. */
export type WithOptional<P extends TProperties, R extends PropertyKey> = {
  [K in keyof P]: K extends R ? P[K] : TOptional<P[K]>;
};

/** Object-level extensions: atomic objects are replaced whole by server-side apply. */
export interface ObjectExtensions {
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/**
 * An object with named properties. Kubernetes fields are optional unless the API says
 * otherwise, so only the names in `required` are required.
 */
export function object<P extends TProperties, const R extends readonly (keyof P & string)[] = []>(
  description: string,
  properties: P,
  required?: R,
  extensions: ObjectExtensions = {},
): TObject<WithOptional<P, R[number]>> {
  return Type.Object(markOptional(properties, required ?? []), { description, ...extensions }) as TObject<WithOptional<P, R[number]>>;
}

/** An object server-side apply treats as one value (Kubernetes' +structType=atomic). */
export function atomicObject<P extends TProperties, const R extends readonly (keyof P & string)[] = []>(
  description: string,
  properties: P,
  required?: R,
): TObject<WithOptional<P, R[number]>> {
  return object(description, properties, required, { 'x-kubernetes-map-type': 'atomic' });
}

export function markOptional(properties: TProperties, required: readonly string[]): TProperties {
  return Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => [name, required.includes(name) ? schema : Type.Optional(schema)]),
  );
}

export function string(description: string, extra: { format?: string; default?: string } = {}): TString {
  return Type.String({ description, ...extra });
}

export function int32(description: string): TInteger {
  return Type.Integer({ format: 'int32', description });
}

export function int64(description: string): TInteger {
  return Type.Integer({ format: 'int64', description });
}

export function double(description: string): TNumber {
  return Type.Number({ format: 'double', description });
}

export function boolean(description: string): TBoolean {
  return Type.Boolean({ description });
}

/** An RFC 3339 timestamp (metav1.Time and metav1.MicroTime both serialize this way). */
export function timestamp(description: string): TString {
  return Type.String({ format: 'date-time', description });
}

/** Binary data, base64-encoded in JSON. */
export function base64(description: string): TString {
  return Type.String({ format: 'byte', description });
}

/** A port number or name, a percentage, ...: JSON carries either an integer or a string. */
export function intOrString(description: string): TUnsafe<number | string> {
  return kubeJson<number | string>({ 'x-kubernetes-int-or-string': true, description });
}

/** A resource quantity such as 500m, 2Gi or 4; manifests write small ones as bare numbers. */
export function quantity(description: string): TUnsafe<number | string> {
  return intOrString(description);
}

/** Resource name (cpu, memory, ...) → quantity. */
export function resourceList(description: string): TUnsafe<Record<string, number | string>> {
  return mapOf(quantity('An amount of the named resource.'), description);
}

/** A string restricted to the values Kubernetes marks as its enum. */
export function oneOf<const V extends readonly string[]>(values: V, description: string, extra: { default?: V[number] } = {}): TUnsafe<V[number]> {
  return kubeJson<V[number]>({ type: 'string', enum: [...values], description, ...extra });
}

/** A map from arbitrary string keys to values of one schema. */
export function mapOf<T extends TSchema>(values: T, description: string, mapType?: 'atomic' | 'granular'): TUnsafe<Record<string, Static<T>>> {
  return kubeJson<Record<string, Static<T>>>({
    type: 'object',
    additionalProperties: values,
    description,
    ...(mapType ? { 'x-kubernetes-map-type': mapType } : {}),
  });
}

export function stringMap(description: string, mapType?: 'atomic' | 'granular'): TUnsafe<Record<string, string>> {
  return mapOf(Type.String(), description, mapType);
}

/** A JSON object whose content this schema does not model; kept as sent. */
export function freeform(description: string): TUnsafe<Record<string, unknown>> {
  return kubeJson<Record<string, unknown>>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description });
}

/** Any JSON value at all (a default, an example, an enum member). */
export function anyValue(description: string): TUnsafe<unknown> {
  return kubeJson<unknown>({ 'x-kubernetes-preserve-unknown-fields': true, description });
}

/** How a list merges under strategic merge patch and server-side apply. */
export interface ListSemantics {
  /** atomic: replaced whole; set: unique scalars; map: items identified by `keys`. */
  listType: 'atomic' | 'set' | 'map';
  /** The item properties that identify an item of a map list. */
  keys?: string[];
  /** Strategic merge patch's strategy, when the list is not simply replaced. */
  patchStrategy?: 'merge' | 'merge,retainKeys';
  /** The item property strategic merge patch matches items on. */
  patchMergeKey?: string;
}

export function list<T extends TSchema>(items: T, description: string, semantics: ListSemantics = { listType: 'atomic' }): TArray<T> {
  if ((semantics.listType === 'map') !== Boolean(semantics.keys?.length)) {
    throw new Error('a list has map keys exactly when its list type is map');
  }
  return Type.Array(items, {
    description,
    'x-kubernetes-list-type': semantics.listType,
    ...(semantics.keys ? { 'x-kubernetes-list-map-keys': semantics.keys } : {}),
    ...(semantics.patchStrategy ? { 'x-kubernetes-patch-strategy': semantics.patchStrategy } : {}),
    ...(semantics.patchMergeKey ? { 'x-kubernetes-patch-merge-key': semantics.patchMergeKey } : {}),
  });
}

/** A list of objects keyed by one property, merged on it by both patch mechanisms (the common case). */
export function keyedList<T extends TSchema>(items: T, key: string, description: string): TArray<T> {
  return list(items, description, { listType: 'map', keys: [key], patchStrategy: 'merge', patchMergeKey: key });
}

/** The same schema with the description this use of it needs. */
export function describe<T extends TSchema>(schema: T, description: string): T {
  return { ...schema, description };
}
