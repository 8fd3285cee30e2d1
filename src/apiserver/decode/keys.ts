// Keys that must never come from request data. `__proto__` assigned to a plain object replaces its
// prototype (merging such a key once made every RBAC rule grant everything); no Kubernetes field,
// label or annotation key can be it, so a body holding it is refused wherever the key appears.
// `constructor` and `prototype` are valid keys (a ConfigMap may hold them) and stay data: code
// that looks keys up in request-shaped objects reads own properties only (`ownValue`).

export const FORBIDDEN_KEY = '__proto__';

/** obj[key] when obj itself has the key; never a value inherited from a prototype. */
export function ownValue<T>(obj: Readonly<Record<string, T>> | undefined | null, key: string): T | undefined {
  return obj !== undefined && obj !== null && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** obj[key] = value as an own data property, also for "__proto__" (which plain assignment would turn into a prototype change). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === FORBIDDEN_KEY) Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
