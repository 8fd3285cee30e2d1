// `granary token create`: a bootstrap token (as `kubeadm token create`), with which a new host's
// agent asks for its own node certificate. The token is a Secret of type
// bootstrap.kubernetes.io/token in kube-system; it authenticates as system:bootstrap:<id> in group
// system:bootstrappers until it expires. With --print-kubeconfig the command prints a bootstrap
// kubeconfig instead (the cluster's CA and server, the token as the user), for
// `granary agent --bootstrap-kubeconfig FILE`; with --print-join-command, the `granary join`
// command with the token and the CA's hash.
import { parseArgs } from 'node:util';
import { randomInt } from 'node:crypto';
import { writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { kubeconfigYaml } from '../common/kubeconfig-file.ts';
import { KubeClient } from '../client/client.ts';
import { loadConnection } from '../client/kubeconfig.ts';
import { parseDuration } from '../common/duration.ts';
import { caCertHash } from '../client/pinned-ca.ts';
import type { Secret } from '../api/kinds/core.ts';
import { UsageError } from './process.ts';

export const TOKEN_USAGE = `  token create [--data-dir DIR | --kubeconfig FILE] [--ttl 24h] [--description TEXT]
               [--groups system:bootstrappers:NAME,...] [--print-join-command [--server URL]]
               [--print-kubeconfig [--server URL] [--out FILE]]
                                                  make a bootstrap token for joining nodes (prints it, the granary join
                                                  command, or a bootstrap kubeconfig)`;

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const EXTRA_GROUP = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

function randomString(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return s;
}

/** A bootstrap token's Secret, as Kubernetes reads it. */
export function bootstrapTokenSecret(id: string, secret: string, opts: { expiresAt?: Date; description?: string; groups?: string[] }): Secret {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    stringData: {
      'token-id': id,
      'token-secret': secret,
      'usage-bootstrap-authentication': 'true',
      ...(opts.expiresAt ? { expiration: opts.expiresAt.toISOString().replace(/\.\d+Z$/, 'Z') } : {}),
      ...(opts.description ? { description: opts.description } : {}),
      ...(opts.groups && opts.groups.length > 0 ? { 'auth-extra-groups': opts.groups.join(',') } : {}),
    },
  };
}

/** Creates a bootstrap token Secret through `client` and returns the token, ID.SECRET. */
export async function createBootstrapToken(client: KubeClient, opts: { ttlMs: number; description?: string; groups?: string[] }): Promise<string> {
  const id = randomString(6);
  const secret = randomString(16);
  await client.resource<Secret>('v1', 'Secret').create(bootstrapTokenSecret(id, secret, {
    expiresAt: opts.ttlMs > 0 ? new Date(Date.now() + opts.ttlMs) : undefined, description: opts.description, groups: opts.groups,
  }));
  return `${id}.${secret}`;
}

/** The command a new host runs to join the cluster at `server` whose CA is `caPem`. */
export function joinCommandLine(server: string, token: string, caPem: string): string {
  return `granary join --server ${server} --token ${token} \\\n    --ca-cert-hash ${caCertHash(caPem)}`;
}

export async function tokenCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'create') throw new UsageError(`granary token takes the subcommand create\n${TOKEN_USAGE}`);
  const { values } = parseArgs({
    args: rest, strict: true,
    options: {
      'data-dir': { type: 'string' }, kubeconfig: { type: 'string' }, ttl: { type: 'string', default: '24h' },
      description: { type: 'string' }, groups: { type: 'string' }, 'print-kubeconfig': { type: 'boolean', default: false },
      server: { type: 'string' }, out: { type: 'string' }, 'print-join-command': { type: 'boolean', default: false },
    },
  });
  if (values['data-dir'] && values.kubeconfig) throw new UsageError('pass --data-dir DIR or --kubeconfig FILE, not both');
  const kubeconfig = values['data-dir'] ? join(resolve(values['data-dir']), 'admin.kubeconfig') : values.kubeconfig;
  const ttlMs = values.ttl === '0' ? 0 : parseDuration(values.ttl!);
  if (ttlMs === undefined || ttlMs < 0) throw new UsageError(`--ttl takes a duration such as 24h or 30m (0 for a token that never expires), got ${JSON.stringify(values.ttl)}`);
  const groups = (values.groups ?? '').split(',').map((g) => g.trim()).filter((g) => g !== '');
  const badGroup = groups.find((g) => !EXTRA_GROUP.test(g));
  if (badGroup !== undefined) throw new UsageError(`--groups: ${JSON.stringify(badGroup)} is not a bootstrap group (system:bootstrappers:<name>)`);

  if (values['print-kubeconfig'] && values['print-join-command']) throw new UsageError('pass --print-kubeconfig or --print-join-command, not both');
  if (values.server && !values['print-kubeconfig'] && !values['print-join-command']) throw new UsageError('--server goes with --print-kubeconfig or --print-join-command');
  if (values.out && !values['print-kubeconfig']) throw new UsageError('--out goes with --print-kubeconfig');

  const connection = loadConnection({ kubeconfig });
  if ((values['print-kubeconfig'] || values['print-join-command']) && !connection.ca) {
    throw new UsageError('the kubeconfig names no certificate authority, which a joining host needs; use a kubeconfig with certificate-authority-data');
  }
  const client = new KubeClient(connection);
  let token: string;
  try {
    token = await createBootstrapToken(client, { ttlMs, description: values.description, groups });
  } finally {
    await client.close();
  }
  if (values['print-join-command']) {
    process.stdout.write(`${joinCommandLine(values.server ?? connection.server, token, connection.ca!)}\n`);
    return;
  }
  if (!values['print-kubeconfig']) {
    process.stdout.write(`${token}\n`);
    return;
  }
  const doc = kubeconfigYaml({
    server: values.server ?? connection.server, caPem: connection.ca!,
    user: 'tls-bootstrap-token-user', credentials: { token }, context: 'tls-bootstrap-token-user@granary',
  });
  if (values.out) {
    writeFileSync(resolve(values.out), doc, { mode: 0o600 });
    chmodSync(resolve(values.out), 0o600);
    process.stdout.write(`${resolve(values.out)}\n`);
  } else {
    process.stdout.write(doc);
  }
}
