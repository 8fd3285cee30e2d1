// A container's limits as the runtime's cpu and memory settings.
import type { ResourceRequirements } from '../pod-types.ts';
import { parseQuantity } from '../../api/quantity.ts';

/** cpu and memory limits as the runtime takes them: millicores and bytes, rounded up. */
export function serviceLimits(resources: ResourceRequirements | undefined): { cpuMillis?: number; memoryBytes?: number } {
  const cpu = resources?.limits?.cpu === undefined ? undefined : parseQuantity(resources.limits.cpu);
  const memory = resources?.limits?.memory === undefined ? undefined : parseQuantity(resources.limits.memory);
  return {
    ...(cpu !== undefined && cpu > 0 ? { cpuMillis: Math.ceil(cpu * 1000 - 1e-9) } : {}),
    ...(memory !== undefined && memory > 0 ? { memoryBytes: Math.ceil(memory - 1e-9) } : {}),
  };
}
