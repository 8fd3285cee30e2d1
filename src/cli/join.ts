// `granary join`: makes this host a node of the cluster at --server, as `kubeadm join` does. The
// control plane's CA is checked against --ca-cert-hash before the token goes anywhere
// (src/client/pinned-ca.ts); then the bootstrap kubeconfig and the agent's flags are written, the
// agent's service is enabled and (re)started, and the command waits until the agent has its own
// node certificate and the Node is Ready. The bootstrap kubeconfig is then removed (kubeadm
// removes bootstrap-kubelet.conf likewise): the agent renews its certificate with its own.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { KubeClient, sleep } from '../client/client.ts';
import { loadConnection } from '../client/kubeconfig.ts';
import { caCertHash, discoverPinnedCa, discoverUnpinnedCa, parseCaCertHash, PinnedCaError } from '../client/pinned-ca.ts';
import { writeKubeconfigFile } from '../common/kubeconfig-file.ts';
import { parseDuration } from '../common/duration.ts';
import { defaultHostname } from '../agent/node.ts';
import { nodeNameError } from '../apiserver/auth/node-credentials.ts';
import {
  AGENT_ENV, AGENT_SERVICE, BOOTSTRAP_KUBECONFIG, checkHost, enableAndRestart, hasFailed, journalTail, localAddressTowards, NODE_KUBECONFIG,
  say, waitForNodeReady, writeEnvFile,
} from './host-services.ts';
import { UsageError } from './process.ts';

export const JOIN_USAGE = `  join --server URL --token ID.SECRET --ca-cert-hash sha256:HEX [--node-name NAME] [--node-ip IP]
       [--label k=v ...] [--wait 5m] [--unsafe-skip-ca-verification]
                                                  make this host a node of the cluster (as root, with the Debian package)`;

const TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
const AGENT_ARGS = 'GRANARY_AGENT_ARGS';
const AGENT_ENV_COMMENT = "granary-agent.service's flags for this node";

export interface JoinOptions {
  server: string;
  token: string;
  /** The control plane's CA, already checked. */
  caPem: string;
  nodeName: string;
  nodeIp: string;
  labels: string[];
  waitMs: number;
}

/** The node credential the agent keeps on this host: whose it is, and whether it is still valid. */
function nodeCredential(): { node: string; valid: boolean } | undefined {
  if (!existsSync(NODE_KUBECONFIG)) return undefined;
  try {
    const cert = new X509Certificate(loadConnection({ kubeconfig: NODE_KUBECONFIG }).cert ?? '');
    const node = /^CN=system:node:(.*)$/m.exec(cert.subject)?.[1] ?? '(unknown)';
    return { node, valid: Date.parse(cert.validTo) > Date.now() };
  } catch {
    return { node: '(unknown)', valid: false };
  }
}

/** The node this host already is, if it is one. */
export function joinedNodeName(): string | undefined {
  return nodeCredential()?.node;
}

/** Stops waiting early, with the agent's log, when systemd has given up on the agent. */
async function agentAlive(): Promise<void> {
  if (await hasFailed(AGENT_SERVICE)) throw new Error(`${AGENT_SERVICE} failed:\n${await journalTail(AGENT_SERVICE)}`);
}

/**
 * Configures and starts this host's agent with a checked CA and a bootstrap token, and waits
 * until its Node is Ready. Used by `granary join` and by `granary init` for the first host.
 */
export async function joinThisHost(opts: JoinOptions): Promise<void> {
  const nodeArgs = ['--node-name', opts.nodeName, '--node-ip', opts.nodeIp, ...opts.labels.flatMap((l) => ['--label', l])];
  await writeKubeconfigFile(BOOTSTRAP_KUBECONFIG, {
    server: opts.server, caPem: opts.caPem, user: 'tls-bootstrap-token-user', credentials: { token: opts.token }, context: 'tls-bootstrap-token-user@granary',
  });
  await writeEnvFile(AGENT_ENV, AGENT_ARGS, [...nodeArgs, '--bootstrap-kubeconfig', BOOTSTRAP_KUBECONFIG], AGENT_ENV_COMMENT);
  say(`• starting ${AGENT_SERVICE} (node ${opts.nodeName}, address ${opts.nodeIp})`);
  await enableAndRestart(AGENT_SERVICE);

  const deadline = Date.now() + opts.waitMs;
  while (!nodeCredential()?.valid) {
    if (Date.now() > deadline) {
      throw new Error(`the agent has no node certificate after ${Math.round(opts.waitMs / 1000)} s; its log (journalctl -u ${AGENT_SERVICE}):\n${await journalTail(AGENT_SERVICE)}`);
    }
    await agentAlive();
    await sleep(500);
  }
  say('• the control plane issued this node\'s certificate');
  const client = KubeClient.fromKubeconfig(NODE_KUBECONFIG);
  try {
    await waitForNodeReady(client, opts.nodeName, Math.max(1000, deadline - Date.now()), agentAlive);
  } catch (err) {
    throw new Error(`${(err as Error).message}; the agent's log (journalctl -u ${AGENT_SERVICE}):\n${await journalTail(AGENT_SERVICE)}`);
  } finally {
    await client.close();
  }
  // The agent has its own credential now and renews it itself: the token need not stay here.
  await writeEnvFile(AGENT_ENV, AGENT_ARGS, nodeArgs, AGENT_ENV_COMMENT);
  await rm(BOOTSTRAP_KUBECONFIG, { force: true });
}

/** --wait and similar: a duration, in milliseconds. */
export function parseWait(flag: string, raw: string): number {
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 1000) throw new UsageError(`--${flag} takes a duration such as 5m or 90s, got ${JSON.stringify(raw)}`);
  return ms;
}

export function parseLabels(labels: string[]): string[] {
  const bad = labels.find((l) => !/^([a-z0-9.-]+\/)?[A-Za-z0-9._-]+=[A-Za-z0-9._-]*$/.test(l));
  if (bad !== undefined) throw new UsageError(`--label takes key=value (a Kubernetes label), got ${JSON.stringify(bad)}`);
  return labels;
}

export async function joinCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      server: { type: 'string' }, token: { type: 'string' }, 'ca-cert-hash': { type: 'string', multiple: true, default: [] },
      'unsafe-skip-ca-verification': { type: 'boolean', default: false },
      'node-name': { type: 'string' }, 'node-ip': { type: 'string' }, label: { type: 'string', multiple: true, default: [] },
      wait: { type: 'string', default: '5m' },
    },
  });
  if (!values.server) throw new UsageError('granary join needs --server https://HOST:PORT (the control plane\'s address, as `granary init` printed it)');
  if (!values.token) throw new UsageError('granary join needs --token ID.SECRET (from `granary init` or `granary token create` on the control plane host)');
  if (!TOKEN.test(values.token)) throw new UsageError('--token is a bootstrap token: 6 and 16 lower-case letters or digits joined by a dot, like abcdef.0123456789abcdef');
  const pins = values['ca-cert-hash']!.map((raw) => {
    const pin = parseCaCertHash(raw);
    if (!pin) throw new UsageError(`--ca-cert-hash takes sha256: and 64 hex digits, got ${JSON.stringify(raw)}`);
    return pin;
  });
  const unsafe = values['unsafe-skip-ca-verification']!;
  if (pins.length === 0 && !unsafe) {
    throw new UsageError('granary join needs --ca-cert-hash sha256:HEX, so that the token is only sent to your control plane: `granary init` printed it, and `granary token create --print-join-command` on the control plane host prints it again');
  }
  if (pins.length > 0 && unsafe) throw new UsageError('pass --ca-cert-hash or --unsafe-skip-ca-verification, not both');
  const nodeName = values['node-name'] ?? defaultHostname();
  const invalid = nodeNameError(nodeName);
  if (invalid) throw new UsageError(`${invalid}; pass --node-name NAME`);
  const labels = parseLabels(values.label!);
  const waitMs = parseWait('wait', values.wait!);
  checkHost('join');
  const joined = joinedNodeName();
  if (joined !== undefined) throw new UsageError(`this host is already node ${joined} (its credential is ${NODE_KUBECONFIG}); run \`granary leave\` first`);

  let caPem: string;
  try {
    if (unsafe) {
      caPem = await discoverUnpinnedCa(values.server);
      say(`• WARNING: trusting the CA the server at ${values.server} presented without checking it (${caCertHash(caPem)})`);
    } else {
      caPem = await discoverPinnedCa(values.server, pins);
      say(`• the control plane at ${values.server} has the CA ${caCertHash(caPem)}`);
    }
  } catch (err) {
    if (err instanceof PinnedCaError) throw new UsageError(`refusing to join: ${err.message}`);
    throw err;
  }
  const { hostname, port } = new URL(values.server);
  const nodeIp = values['node-ip'] ?? await localAddressTowards(hostname.replace(/^\[(.*)\]$/, '$1'), Number(port || 443));
  await joinThisHost({ server: values.server, token: values.token, caPem, nodeName, nodeIp, labels, waitMs });
  say(`\nThis host is node ${nodeName} (${nodeIp}) and it is Ready. See it from the control plane host with \`kubectl get nodes\`.`);
}
