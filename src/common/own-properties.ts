// Looking keys up in objects built from data (a request body, an index file, an object from the
// API) must never reach a prototype: `obj[key]` with key "constructor" or "toString" answers with
// a function every object inherits, and assigning to "__proto__" replaces the prototype.

/** obj[key] when obj itself has the key; never a value inherited from a prototype. */
export function ownValue<T>(obj: Readonly<Record<string, T>> | undefined | null, key: string): T | undefined {
  return obj !== undefined && obj !== null && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** obj[key] = value as an own data property, also for "__proto__" (which plain assignment would turn into a prototype change). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
