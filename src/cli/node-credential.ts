// `granary node-credential`: a kubeconfig for one node agent, signed by the cluster CA, under which
// the agent may act only as that node (the Node authorizer and NodeRestriction apply).
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { nodeNameError, writeNodeKubeconfig } from '../apiserver/auth/node-credentials.ts';
import { loadConnection } from '../client/kubeconfig.ts';
import { UsageError } from './process.ts';

export const NODE_CREDENTIAL_USAGE = `  node-credential --data-dir DIR --node-name NAME [--server URL] [--out FILE]
                                                  write a kubeconfig for the agent of node NAME (user system:node:NAME)`;

export async function nodeCredentialCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: { 'data-dir': { type: 'string' }, 'node-name': { type: 'string' }, server: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values['data-dir']) throw new UsageError('granary node-credential needs --data-dir DIR (the API server\'s data directory, where the cluster CA is)');
  if (!values['node-name']) throw new UsageError('granary node-credential needs --node-name NAME (the name the agent registers its Node under)');
  const invalid = nodeNameError(values['node-name']);
  if (invalid) throw new UsageError(invalid);
  const dataDir = resolve(values['data-dir']);
  const server = values.server ?? serverOf(join(dataDir, 'admin.kubeconfig'));
  const path = await writeNodeKubeconfig(dataDir, values['node-name'], server, values.out ? resolve(values.out) : undefined);
  process.stdout.write(`${path}\n`);
}

/** The API server's address as its admin kubeconfig gives it. */
function serverOf(adminKubeconfig: string): string {
  if (!existsSync(adminKubeconfig)) throw new UsageError(`no ${adminKubeconfig} to take the server address from; pass --server https://HOST:PORT`);
  return loadConnection({ kubeconfig: adminKubeconfig }).server;
}
