// The `granary` command.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ApiServer } from '../apiserver/server.ts';

const USAGE = `Usage: granary <command> [flags]

Commands:
  apiserver --data-dir DIR [--listen HOST:PORT]   run the embedded Kubernetes-compatible API server
  help                                           show this help
`;

async function apiserver(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:6443' } },
    strict: true,
  });
  if (!values['data-dir']) throw new UsageError('granary apiserver needs --data-dir DIR (where state, certificates and admin.kubeconfig live)');
  // GRANARY_WATCH_HISTORY tunes how many events a watch may resume across (tests make it small).
  const watchHistory = process.env.GRANARY_WATCH_HISTORY ? Number(process.env.GRANARY_WATCH_HISTORY) : undefined;
  const server = await ApiServer.start({ dataDir: resolve(values['data-dir']), listen: values.listen!, watchHistory });
  process.stdout.write(`granary apiserver listening on ${server.url}\nkubeconfig: ${server.kubeconfigPath}\n`);
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      server.stop().then(done, (err) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exitCode = 1;
        done();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'apiserver':
      return apiserver(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`granary: ${message}\n`);
  process.exitCode = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
});
