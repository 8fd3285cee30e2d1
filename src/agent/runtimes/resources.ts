// Kubernetes resource quantities ("500m", "1.5", "2Gi", "1e3") as numbers, and a container's
// limits as the runtime's cpu and memory settings.
import type { ResourceRequirements } from '../pod-types.ts';

const SUFFIXES: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The value of a quantity; undefined when it is not one. */
export function parseQuantity(quantity: string | number): number | undefined {
  if (typeof quantity === 'number') return Number.isFinite(quantity) ? quantity : undefined;
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(quantity.trim());
  if (!match) return undefined;
  const number = Number(match[1]);
  return match[2] ? number * 10 ** Number(match[2].slice(1)) : number * SUFFIXES[match[3] ?? ''];
}

/** cpu and memory limits as the runtime takes them: millicores and bytes, rounded up. */
export function serviceLimits(resources: ResourceRequirements | undefined): { cpuMillis?: number; memoryBytes?: number } {
  const cpu = resources?.limits?.cpu === undefined ? undefined : parseQuantity(resources.limits.cpu);
  const memory = resources?.limits?.memory === undefined ? undefined : parseQuantity(resources.limits.memory);
  return {
    ...(cpu !== undefined && cpu > 0 ? { cpuMillis: Math.ceil(cpu * 1000 - 1e-9) } : {}),
    ...(memory !== undefined && memory > 0 ? { memoryBytes: Math.ceil(memory - 1e-9) } : {}),
  };
}
