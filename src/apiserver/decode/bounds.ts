// The depth limit applied to a value computed from request data rather than decoded from text (the
// result of a patch: a JSON patch's copies can nest an object in itself), and the size a copied
// value adds. Both walk with an explicit stack.
import { ApiError, errors } from '../errors.ts';
import { DEFAULT_DECODE_LIMITS } from './limits.ts';

/**
 * Throws a 422 when `value` nests deeper than the limit allows. (Its size needs no check: a patch
 * adds at most its body, and a JSON patch's copies at most MAX_JSON_PATCH_COPY_BYTES.)
 */
export function checkDepth(value: unknown, what: string, maxDepth: number = DEFAULT_DECODE_LIMITS.maxDepth): void {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) throw new ApiError(422, 'Invalid', `${what} nests deeper than ${maxDepth} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push({ value: child, depth: depth + 1 });
  }
}

/**
 * Throws a 413 when an object to be stored holds more keys and list items than `maxMembers` (plus
 * room for what the server adds), managedFields aside: bodies are bounded, but a series of patches
 * could grow an object far beyond them, and every later write of it would cost as much.
 */
export function checkObjectMembers(object: { metadata?: unknown }, what: string, maxMembers: number): void {
  const limit = maxMembers + SERVER_ADDED_MEMBERS;
  const metadata = object.metadata;
  const stack: unknown[] = [object];
  let members = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    const children = Array.isArray(v) ? v : Object.entries(v).filter(([k]) => !(v === metadata && k === 'managedFields')).map(([, c]) => c);
    members += children.length;
    if (members > limit) throw errors.tooLarge(`${what} would hold more than ${maxMembers} keys and list items (its managedFields aside)`);
    stack.push(...children);
  }
}

/** Fields the server sets on an object (uid, timestamps, generation, ...), beyond what its body held. */
const SERVER_ADDED_MEMBERS = 100;

/** About the bytes `value` takes as JSON, counted only up to `budget` (beyond it, budget + 1). */
export function jsonSize(value: unknown, budget: number): number {
  const stack: unknown[] = [value];
  let size = 0;
  while (stack.length > 0 && size <= budget) {
    const v = stack.pop();
    if (typeof v === 'string') size += v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean') size += String(v).length;
    else if (v === null) size += 4;
    else if (Array.isArray(v)) {
      size += 2 + v.length;
      stack.push(...v);
    } else if (typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        size += k.length + 4;
        stack.push(child);
      }
      size += 2;
    }
  }
  return Math.min(size, budget + 1);
}
