// Watches a server's /livez while a test runs: a probe every 100 ms, each allowed one second.
import { Agent, request } from 'undici';

export interface LivenessRecord {
  /** The slowest answer, in milliseconds. */
  max: number;
  probes: number;
  /** Probes that failed (no answer within a second, or not 200), with when. */
  failures: string[];
  /** Stops probing; resolves once the last probe is done. */
  stop(): Promise<void>;
}

export function watchLiveness(server: string, ca: string): LivenessRecord {
  const probe = new Agent({ connect: { ca }, connections: 1 });
  let running = true;
  const record: LivenessRecord = { max: 0, probes: 0, failures: [], stop: async () => {} };
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const res = await request(`${server}/livez`, { dispatcher: probe, signal: AbortSignal.timeout(1000) });
        await res.body.text();
        if (res.statusCode !== 200) record.failures.push(`${new Date().toISOString()} status ${res.statusCode}`);
      } catch (err) {
        record.failures.push(`${new Date().toISOString()} ${String(err)}`);
      }
      record.max = Math.max(record.max, performance.now() - started);
      record.probes++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  record.stop = async () => {
    running = false;
    await loop;
    await probe.close();
  };
  return record;
}
