// `granary apiserver`: the embedded control plane on its own.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ApiServer } from '../apiserver/server.ts';
import { runUntilSignal, UsageError } from './process.ts';

export async function apiserverCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:6443' }, 'token-auth-file': { type: 'string' } },
    strict: true,
  });
  if (!values['data-dir']) throw new UsageError('granary apiserver needs --data-dir DIR (where state, certificates and admin.kubeconfig live)');
  // GRANARY_WATCH_HISTORY tunes how many events a watch may resume across (tests make it small).
  const watchHistory = process.env.GRANARY_WATCH_HISTORY ? Number(process.env.GRANARY_WATCH_HISTORY) : undefined;
  // GRANARY_MIN_TOKEN_EXPIRATION_SECONDS lets tests issue ServiceAccount tokens that expire within seconds.
  const minTokenExpirationSeconds = process.env.GRANARY_MIN_TOKEN_EXPIRATION_SECONDS ? Number(process.env.GRANARY_MIN_TOKEN_EXPIRATION_SECONDS) : undefined;
  const tokenAuthFile = values['token-auth-file'] ? resolve(values['token-auth-file']) : undefined;
  const server = await ApiServer.start({
    dataDir: resolve(values['data-dir']), listen: values.listen!, watchHistory,
    auth: { tokenAuthFile, minTokenExpirationSeconds },
  });
  process.stdout.write(`granary apiserver listening on ${server.url}\nkubeconfig: ${server.kubeconfigPath}\n`);
  await runUntilSignal(() => server.stop());
}
