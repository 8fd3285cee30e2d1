// Whether a node may have the certificate it asks for a pod, decided from what the API says (no
// I/O here): the requester (recorded by the API server, whatever the body said) must be the node
// the named pod is bound to, the pod must still be the one named (same uid) and have a volume of
// the signer's class, and every name asked for must be the node's own — its name, or an address
// in its status that no other node claims as well. A request without a pod annotation is not a
// pod's: it waits for a person with `approve` on the signer (granary certificate, an operator's
// own client certificate).
import type { Node, Pod } from '../../api/kinds/core.ts';
import type { KubeObject } from '../../api/meta.ts';
import type { ParsedRequest } from '../../common/certificate-request.ts';
import {
  CERTIFICATE_USAGES, POD_NAME_ANNOTATION, POD_NAMESPACE_ANNOTATION, POD_UID_ANNOTATION, secretClassOfVolume, VOLUME_ANNOTATION,
} from '../../runtime/secret-class.ts';

const NODE_USER_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';


export interface PodRequest {
  namespace: string;
  name: string;
  uid: string;
  volume: string;
}

/** The pod a request names in its annotations, or undefined when it names none. */
export function podRequestOf(csr: KubeObject): PodRequest | undefined {
  const a = csr.metadata.annotations ?? {};
  if (a[POD_NAME_ANNOTATION] === undefined && a[POD_UID_ANNOTATION] === undefined) return undefined;
  return { namespace: a[POD_NAMESPACE_ANNOTATION] ?? '', name: a[POD_NAME_ANNOTATION] ?? '', uid: a[POD_UID_ANNOTATION] ?? '', volume: a[VOLUME_ANNOTATION] ?? '' };
}

export interface PodRequestFacts {
  secretClass: string;
  /** spec.username and spec.groups of the request. */
  requester: { username: string; groups: string[] };
  usages: string[];
  parsed: ParsedRequest;
  request: PodRequest;
  /** The pod named, as the API has it now (undefined: it does not exist). */
  pod: Pod | undefined;
  /** Every Node, to find the requester's and whether another one claims the same address. */
  nodes: readonly Node[];
}

export type PodRequestDecision = { approved: true; hosts: string[] } | { approved: false; reason: string; message: string };

const deny = (reason: string, message: string): PodRequestDecision => ({ approved: false, reason, message });

/** The names a node may have in its pods' certificates: its name and its addresses no other node claims. */
export function nodeNames(nodeName: string, nodes: readonly Node[]): Set<string> {
  const mine = nodes.find((n) => n.metadata.name === nodeName);
  const names = new Set<string>([nodeName]);
  for (const { address } of mine?.status?.addresses ?? []) {
    const claimedElsewhere = nodes.some((n) => n.metadata.name !== nodeName && (n.status?.addresses ?? []).some((a) => a.address === address));
    if (!claimedElsewhere) names.add(address);
  }
  return names;
}

export function decidePodRequest(f: PodRequestFacts): PodRequestDecision {
  const { username, groups } = f.requester;
  const node = username.startsWith(NODE_USER_PREFIX) && groups.includes(NODES_GROUP) ? username.slice(NODE_USER_PREFIX.length) : undefined;
  const podName = `${f.request.namespace}/${f.request.name}`;
  if (!node) return deny('NotANode', `only the node a pod is bound to may ask for its certificates; ${JSON.stringify(username)} is not a node`);
  if (!f.pod || (f.request.uid && f.pod.metadata.uid !== f.request.uid)) return deny('PodNotFound', `pod ${podName} (uid ${f.request.uid || 'not given'}) does not exist`);
  if (f.pod.spec?.nodeName !== node) {
    return deny('PodNotBoundToNode', `pod ${podName} is not bound to node ${node}${f.pod.spec?.nodeName ? ` (it is bound to ${f.pod.spec.nodeName})` : ''}`);
  }
  const volume = (f.pod.spec.volumes ?? []).find((v) => v.name === f.request.volume);
  if (!volume || secretClassOfVolume(volume.csi) !== f.secretClass) {
    return deny('NoSuchVolume', `pod ${podName} has no volume ${JSON.stringify(f.request.volume)} of secret class ${f.secretClass}`);
  }
  const extraUsages = f.usages.filter((u) => !CERTIFICATE_USAGES.includes(u));
  if (extraUsages.length > 0) return deny('InvalidUsages', `usages may only be ${CERTIFICATE_USAGES.map((u) => JSON.stringify(u)).join(', ')}, not ${extraUsages.map((u) => JSON.stringify(u)).join(', ')}`);
  const allowed = nodeNames(node, f.nodes);
  const hosts = f.parsed.subjectAltNames.map((san) => san.slice(san.indexOf(':') + 1));
  const kinds = f.parsed.subjectAltNames.map((san) => san.slice(0, san.indexOf(':')));
  if (kinds.some((k) => k !== 'dns' && k !== 'ip')) return deny('InvalidNames', 'a pod certificate may name only DNS names and IP addresses');
  const foreign = hosts.filter((h) => !allowed.has(h));
  if (foreign.length > 0) {
    return deny('NotNodeAddress', `node ${node} may not have a certificate for ${foreign.join(', ')}: not its name, or an address of its own that no other node claims (${[...allowed].join(', ')})`);
  }
  return { approved: true, hosts };
}
