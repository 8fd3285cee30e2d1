// The `granary` command.
import { agentCommand, AGENT_USAGE } from './agent.ts';
import { apiserverCommand, APISERVER_USAGE } from './apiserver.ts';
import { crdCommand, CRD_USAGE, installCommand } from './crds.ts';
import { nodeCredentialCommand, NODE_CREDENTIAL_USAGE } from './node-credential.ts';
import { downCommand, statusCommand, upCommand, UP_USAGE } from './up.ts';
import { UsageError } from './process.ts';

const USAGE = `Usage: granary <command> [flags]

Commands:
${UP_USAGE}
${APISERVER_USAGE}
${AGENT_USAGE}
${NODE_CREDENTIAL_USAGE}
${CRD_USAGE}
  help                                            show this help
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  up: upCommand,
  down: downCommand,
  status: statusCommand,
  apiserver: apiserverCommand,
  agent: agentCommand,
  'node-credential': nodeCredentialCommand,
  crd: crdCommand,
  install: installCommand,
};

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  await run(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`granary: ${message}\n`);
  process.exitCode = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
});
