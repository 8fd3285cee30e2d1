// Prometheus' HTTP service discovery (http_sd_configs) answered from the operator's watch caches
// of Nodes and Pods: Debian's Prometheus is built without kubernetes_sd_configs, so the operator,
// which watches both kinds anyway, serves the same targets and the same __meta_kubernetes_* labels
// upstream Prometheus' node and pod roles give (relabel rules work unchanged with either). The
// API server pays for one watch per kind in the operator, however many Prometheus servers ask.
import type { Node, Pod } from '../../api/kinds/core.ts';

/** One http_sd target group. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}


/** A Kubernetes label or annotation name as Prometheus writes it in a label name. */
export function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function mapLabels(prefix: string, values: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values ?? {})) {
    out[`${prefix}_${sanitize(k)}`] = v;
    out[`${prefix}present_${sanitize(k)}`] = 'true';
  }
  return out;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The node role: one target per node at its InternalIP and kubelet port (the agent's endpoint). */
export function nodeTargets(nodes: readonly Node[]): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const node of nodes) {
    const addresses = node.status?.addresses ?? [];
    const address = addresses.find((a) => a.type === 'InternalIP')?.address ?? addresses[0]?.address;
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!address || !port) continue;
    const labels: Record<string, string> = {
      __meta_kubernetes_node_name: node.metadata.name!,
      ...mapLabels('__meta_kubernetes_node_label', node.metadata.labels),
      ...mapLabels('__meta_kubernetes_node_annotation', node.metadata.annotations),
    };
    for (const a of addresses) labels[`__meta_kubernetes_node_address_${sanitize(a.type)}`] ??= a.address;
    groups.push({ targets: [hostPort(address, port)], labels });
  }
  return groups;
}

/**
 * The pod role: one target per declared container port (and one per pod without any, at its
 * address alone), for pods that have an address and are not finished.
 */
export function podTargets(pods: readonly Pod[]): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    const phase = pod.status?.phase ?? 'Pending';
    if (!ip || phase === 'Succeeded' || phase === 'Failed') continue;
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const controller = pod.metadata.ownerReferences?.find((o) => o.controller);
    const base: Record<string, string> = {
      __meta_kubernetes_namespace: pod.metadata.namespace ?? 'default',
      __meta_kubernetes_pod_name: pod.metadata.name!,
      __meta_kubernetes_pod_ip: ip,
      __meta_kubernetes_pod_uid: pod.metadata.uid ?? '',
      __meta_kubernetes_pod_node_name: pod.spec?.nodeName ?? '',
      __meta_kubernetes_pod_host_ip: pod.status?.hostIP ?? '',
      __meta_kubernetes_pod_ready: String(ready),
      __meta_kubernetes_pod_phase: phase,
      ...(controller ? { __meta_kubernetes_pod_controller_kind: controller.kind, __meta_kubernetes_pod_controller_name: controller.name } : {}),
      ...mapLabels('__meta_kubernetes_pod_label', pod.metadata.labels),
      ...mapLabels('__meta_kubernetes_pod_annotation', pod.metadata.annotations),
    };
    let ports = 0;
    for (const container of pod.spec?.containers ?? []) {
      for (const p of container.ports ?? []) {
        ports++;
        groups.push({
          targets: [hostPort(ip, p.containerPort)],
          labels: {
            ...base, __meta_kubernetes_pod_container_name: container.name, __meta_kubernetes_pod_container_image: container.image ?? '',
            __meta_kubernetes_pod_container_port_name: p.name ?? '', __meta_kubernetes_pod_container_port_number: String(p.containerPort),
            __meta_kubernetes_pod_container_port_protocol: p.protocol ?? 'TCP', __meta_kubernetes_pod_container_init: 'false',
          },
        });
      }
    }
    if (ports === 0) groups.push({ targets: [ip], labels: base });
  }
  return groups;
}
