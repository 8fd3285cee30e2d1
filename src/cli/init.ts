// `granary init`: makes this host the control plane of a new cluster, as `kubeadm init` does, from
// the Debian package's services: writes the API server's flags, enables and starts
// granary-apiserver.service, waits until it serves, installs the CRDs and the default package
// repository (the hosts' apt), enables and starts granary-operator.service, makes a bootstrap
// token, joins this host as a node too (unless --control-plane-only), and prints the command that
// joins the other hosts. Running it again keeps the cluster and prints a new join command.
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { KubeClient, sleep } from '../client/client.ts';
import { isAlreadyExists } from '../client/errors.ts';
import { defaultHostname } from '../agent/node.ts';
import { PACKAGE_REPOSITORY_API_VERSION } from '../agent/packages/repository-resource.ts';
import { parseListen } from '../apiserver/server.ts';
import { nodeNameError } from '../apiserver/auth/node-credentials.ts';
import { OPERATORS } from '../operators/index.ts';
import { installCrds } from './crds.ts';
import {
  ADMIN_KUBECONFIG, AGENT_SERVICE, APISERVER_ENV, APISERVER_SERVICE, CA_CERT, checkHost, defaultRouteAddress, enableAndRestart, hasFailed,
  journalTail, OPERATOR_SERVICE, say, systemctl, writeEnvFile,
} from './host-services.ts';
import { joinedNodeName, joinThisHost, parseLabels, parseWait } from './join.ts';
import { createBootstrapToken, joinCommandLine } from './token.ts';
import { UsageError } from './process.ts';
import { parseDuration } from '../common/duration.ts';

export const INIT_USAGE = `  init [--advertise-address IP] [--listen HOST:PORT] [--node-name NAME] [--node-ip IP] [--label k=v ...]
       [--control-plane-only] [--token-ttl 24h] [--wait 5m]
                                                  make this host the control plane of a new cluster and print the
                                                  command that joins other hosts (as root, with the Debian package)`;

const WILDCARD = new Set(['0.0.0.0', '::']);

const formatHost = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

/** Waits until the API server answers its own admin with a list; returns that client. */
async function waitForApiServer(deadline: number): Promise<KubeClient> {
  let last = 'no admin kubeconfig yet';
  while (Date.now() < deadline) {
    if (existsSync(ADMIN_KUBECONFIG)) {
      const client = KubeClient.fromKubeconfig(ADMIN_KUBECONFIG, { maxAttempts: 1 });
      try {
        await client.resource('v1', 'Namespace').list();
        return client;
      } catch (err) {
        last = (err as Error).message;
        await client.close();
      }
    }
    if (await hasFailed(APISERVER_SERVICE)) break;
    await sleep(500);
  }
  throw new Error(`the API server does not answer (${last}); its log (journalctl -u ${APISERVER_SERVICE}):\n${await journalTail(APISERVER_SERVICE)}`);
}

/** The PackageRepository agents install Debian packages from (the hosts' apt), unless one of that name exists. */
async function ensureDebianRepository(client: KubeClient): Promise<void> {
  try {
    await client.resource(PACKAGE_REPOSITORY_API_VERSION, 'PackageRepository').create({
      apiVersion: PACKAGE_REPOSITORY_API_VERSION, kind: 'PackageRepository', metadata: { name: 'debian' }, spec: { os: { packageManager: 'apt' } },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

export async function initCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      'advertise-address': { type: 'string' }, listen: { type: 'string', default: '0.0.0.0:6443' },
      'node-name': { type: 'string' }, 'node-ip': { type: 'string' }, label: { type: 'string', multiple: true, default: [] },
      'control-plane-only': { type: 'boolean', default: false }, 'token-ttl': { type: 'string', default: '24h' }, wait: { type: 'string', default: '5m' },
    },
  });
  let listen: { host: string; port: number };
  try {
    listen = parseListen(values.listen!);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (listen.port === 0) throw new UsageError('--listen needs a fixed port (other hosts are told it), e.g. 0.0.0.0:6443');
  const advertise = values['advertise-address'] ?? (WILDCARD.has(listen.host) ? defaultRouteAddress() : listen.host);
  if (!advertise) throw new UsageError('this host has no default route to take its address from: pass --advertise-address IP (the address other hosts reach it at)');
  if (!isIP(advertise)) throw new UsageError(`--advertise-address takes an IP address, got ${JSON.stringify(advertise)}`);
  if (!WILDCARD.has(listen.host) && listen.host !== advertise) {
    throw new UsageError(`the API server would listen on ${listen.host} but be advertised at ${advertise}; listen on ${advertise} or on 0.0.0.0`);
  }
  const nodeName = values['node-name'] ?? defaultHostname();
  const invalid = nodeNameError(nodeName);
  if (invalid && !values['control-plane-only']) throw new UsageError(`${invalid}; pass --node-name NAME`);
  const labels = parseLabels(values.label!);
  const ttlMs = values['token-ttl'] === '0' ? 0 : parseDuration(values['token-ttl']!);
  if (ttlMs === undefined) throw new UsageError(`--token-ttl takes a duration such as 24h (0: never expires), got ${JSON.stringify(values['token-ttl'])}`);
  const waitMs = parseWait('wait', values.wait!);
  checkHost('init');

  const server = `https://${formatHost(advertise)}:${listen.port}`;
  const deadline = Date.now() + waitMs;
  await writeEnvFile(APISERVER_ENV, 'GRANARY_APISERVER_ARGS', ['--listen', values.listen!], "granary-apiserver.service's flags");
  say(`• starting ${APISERVER_SERVICE} (listening on ${values.listen}, state in /var/lib/granary/apiserver)`);
  await enableAndRestart(APISERVER_SERVICE);
  const admin = await waitForApiServer(deadline);
  try {
    say(`• the API server is ready at ${server}`);
    const crds = await installCrds(admin);
    await ensureDebianRepository(admin);
    say(`• installed ${crds.length} CustomResourceDefinitions; package repository "debian" (the hosts' apt) in place`);
    await enableAndRestart(OPERATOR_SERVICE);
    say(`• started ${OPERATOR_SERVICE} (${OPERATORS.map((o) => o.name).join(', ')})`);
    const token = await createBootstrapToken(admin, { ttlMs, description: 'made by granary init' });
    const caPem = readFileSync(CA_CERT, 'utf8');
    if (values['control-plane-only']) {
      say('• this host runs no pods (--control-plane-only)');
    } else if (joinedNodeName() !== undefined) {
      await systemctl('enable', '--now', '--quiet', AGENT_SERVICE);
      say(`• this host is node ${joinedNodeName()} already`);
    } else {
      await joinThisHost({ server, token, caPem, nodeName, nodeIp: values['node-ip'] ?? advertise, labels, waitMs: Math.max(1000, deadline - Date.now()) });
      say(`• this host is node ${nodeName}, Ready`);
    }
    const validity = ttlMs === 0 ? 'does not expire' : `is valid for ${values['token-ttl']}`;
    say(`
Granary's control plane is running at ${server}.

Use it as root on this host with kubectl:

  export KUBECONFIG=${ADMIN_KUBECONFIG}
  kubectl get nodes

To add a host, install the granary package on it and run this there as root (the token
${validity}; \`granary token create --print-join-command\` makes another):

  ${joinCommandLine(server, token, caPem)}
`);
  } finally {
    await admin.close();
  }
}
