// `granary leave`: takes this host out of the cluster cleanly, with the node's own credential (the
// Node authorizer lets a node do each step to itself): cordons the Node so that operators place
// nothing new here, deletes the pods bound to it (their operators create them again elsewhere;
// the agent stops their services and confirms each deletion), waits until none is left, stops
// and disables the agent, deletes the node's Lease and Node, and removes the node's credential
// and the agent's state. The pods' persistent data (hostPath volumes) stays on the host.
import { parseArgs } from 'node:util';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from '../api/kinds/core.ts';
import { KubeClient, sleep } from '../client/client.ts';
import { isNotFound } from '../client/errors.ts';
import { escapeFieldValue } from '../api/selectors.ts';
import {
  AGENT_ENV, AGENT_ROOT, AGENT_SERVICE, BOOTSTRAP_KUBECONFIG, checkHost, NODE_KUBECONFIG, say, systemctl,
} from './host-services.ts';
import { joinedNodeName, parseWait } from './join.ts';
import { UsageError } from './process.ts';

export const LEAVE_USAGE = `  leave [--timeout 5m]                            drain this host's node, delete it and stop its agent (as root)`;

/** What of the agent's root stays: the pods' persistent data. */
const KEPT = new Set(['volumes']);

/** Deletes every pod bound to `node`, again for any that comes back, until none is left. */
async function drain(client: KubeClient, node: string, timeoutMs: number): Promise<number> {
  const pods = client.resource<Pod>('v1', 'Pod');
  const deleted = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const bound = (await pods.list(undefined, { fieldSelector: `spec.nodeName=${escapeFieldValue(node)}` })).items;
    if (bound.length === 0) return deleted.size;
    if (Date.now() > deadline) {
      throw new Error(`${bound.length} pod(s) are still on node ${node} after ${Math.round(timeoutMs / 1000)} s: ${bound.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}; run granary leave again, or see \`journalctl -u ${AGENT_SERVICE}\``);
    }
    for (const pod of bound) {
      if (pod.metadata.deletionTimestamp) continue;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      say(`• deleting pod ${key}`);
      await pods.delete(pod.metadata.name!, pod.metadata.namespace).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
      deleted.add(pod.metadata.uid!);
    }
    await sleep(1000);
  }
}

export async function leaveCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, strict: true, options: { timeout: { type: 'string', default: '5m' } } });
  const timeoutMs = parseWait('timeout', values.timeout!);
  checkHost('leave');
  const node = joinedNodeName();
  if (node === undefined) throw new UsageError(`this host is not a node of a cluster (there is no ${NODE_KUBECONFIG})`);
  const client = KubeClient.fromKubeconfig(NODE_KUBECONFIG);
  try {
    await client.resource('v1', 'Node').patch(node, undefined, { spec: { unschedulable: true } });
    say(`• node ${node} cordoned: nothing new is placed on it`);
    const count = await drain(client, node, timeoutMs);
    say(`• ${count === 0 ? 'no pods ran here' : `${count} pod(s) deleted and stopped; their operators place them on other nodes`}`);
    await systemctl('disable', '--now', '--quiet', AGENT_SERVICE);
    say(`• ${AGENT_SERVICE} stopped and disabled`);
    await client.resource('coordination.k8s.io/v1', 'Lease').delete(node, 'kube-node-lease').catch((err) => {
      if (!isNotFound(err)) throw err;
    });
    await client.resource('v1', 'Node').delete(node).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
    say(`• node ${node} deleted from the cluster`);
  } finally {
    await client.close();
  }
  for (const entry of await readdir(AGENT_ROOT).catch(() => [] as string[])) {
    if (!KEPT.has(entry)) await rm(join(AGENT_ROOT, entry), { recursive: true, force: true });
  }
  await rm(AGENT_ENV, { force: true });
  await rm(BOOTSTRAP_KUBECONFIG, { force: true });
  say(`\nThis host has left the cluster. The data of the pods that ran here stays in ${join(AGENT_ROOT, 'volumes')}; remove it when it is no longer needed.`);
}
