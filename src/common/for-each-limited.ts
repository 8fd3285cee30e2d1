// Running an async function over many items with at most `limit` calls in flight: enough to
// overlap round trips to the API server, few enough not to flood it.

/** Calls `fn` for every item, at most `limit` at once; rejects with the first error once every started call has ended. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
