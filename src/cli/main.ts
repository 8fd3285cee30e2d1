// The `granary` command. Each command's module is loaded only when that command runs, so the
// short-lived ones (status, down) and the node agents do not load the API server.
import { UsageError } from './process.ts';

type Command = (argv: string[]) => Promise<void>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  up: async () => (await import('./up.ts')).upCommand,
  down: async () => (await import('./up.ts')).downCommand,
  status: async () => (await import('./up.ts')).statusCommand,
  apiserver: async () => (await import('./apiserver.ts')).apiserverCommand,
  agent: async () => (await import('./agent.ts')).agentCommand,
  operator: async () => (await import('./operator.ts')).operatorCommand,
  'node-credential': async () => (await import('./node-credential.ts')).nodeCredentialCommand,
  token: async () => (await import('./token.ts')).tokenCommand,
  crd: async () => (await import('./crds.ts')).crdCommand,
  install: async () => (await import('./crds.ts')).installCommand,
  image: async () => (await import('./image.ts')).imageCommand,
  init: async () => (await import('./init.ts')).initCommand,
  join: async () => (await import('./join.ts')).joinCommand,
  leave: async () => (await import('./leave.ts')).leaveCommand,
};

async function usage(): Promise<string> {
  const [up, apiserver, agent, operator, nodeCredential, token, crds, image, init, join, leave] = await Promise.all([
    import('./up.ts'), import('./apiserver.ts'), import('./agent.ts'), import('./operator.ts'), import('./node-credential.ts'), import('./token.ts'), import('./crds.ts'), import('./image.ts'),
    import('./init.ts'), import('./join.ts'), import('./leave.ts'),
  ]);
  return `Usage: granary <command> [flags]

Commands:
${up.UP_USAGE}
${init.INIT_USAGE}
${join.JOIN_USAGE}
${leave.LEAVE_USAGE}
${apiserver.APISERVER_USAGE}
${agent.AGENT_USAGE}
${operator.OPERATOR_USAGE}
${nodeCredential.NODE_CREDENTIAL_USAGE}
${token.TOKEN_USAGE}
${crds.CRD_USAGE}
${image.IMAGE_USAGE}
  help                                            show this help
`;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(await usage());
    return;
  }
  const load = COMMANDS[command];
  if (!load) throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${await usage()}`);
  // Started by `granary up` (with an IPC channel): when it goes away, however it died, stop as on
  // SIGTERM, so no agent or operator outlives it.
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
  await (await load())(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`granary: ${message}\n`);
  const code = (err as { code?: unknown }).code;
  process.exitCode = err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) ? 2 : 1;
});
