// What a pod reads from the API besides itself: the ConfigMaps and Secrets its volumes and
// environment name (the agent watches them, and re-renders a pod when one changes).
import type { Pod } from './pod-types.ts';

/** The names of the ConfigMaps and Secrets a pod reads (volumes, env, envFrom, imagePullSecrets). */
export function referencedConfig(pod: Pod): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const s of pod.spec.imagePullSecrets ?? []) if (s.name) secrets.add(s.name);
  for (const v of pod.spec.volumes ?? []) {
    if (v.configMap?.name) configMaps.add(v.configMap.name);
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
  }
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) configMaps.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
    }
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef?.name) configMaps.add(e.configMapRef.name);
      if (e.secretRef?.name) secrets.add(e.secretRef.name);
    }
  }
  return { configMaps, secrets };
}
