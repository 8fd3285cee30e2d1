// The depth limit applied to a value computed from request data rather than decoded from text (the
// result of a patch: a JSON patch's copies can nest an object in itself), and the size a copied
// value adds. Both walk with an explicit stack.
import { ApiError } from '../errors.ts';
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
