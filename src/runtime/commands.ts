// Imperative commands as custom resources. A user creates a Restart, Start or Stop in
// `command.<product>.granary.dev` naming one of the product's resources (spec.name, same
// namespace); the product's operator carries it out through callbacks it implements, and the
// command's status says how it went (phase Pending → Running → Succeeded | Failed, with
// startedAt, finishedAt and a message). Commands stay as a history until deleted, or until
// `historyTtlMs` after they finished when the operator sets it.
//
//   await Promise.all(commandCrds('zookeeper').map((crd) => crds.create(crd)));
//   commandController({ product: 'zookeeper', client, target: { apiVersion, kind: 'ZookeeperCluster' },
//     handlers: { restart: (zk, { rolling, since, signal }) => restartPods({ ... }) } }).run(signal);
//
// Guarantees:
// - The commands of one target run one at a time, in creation order (creation times have whole
//   seconds: commands created within the same second run in name order). Commands of different
//   targets run in parallel, up to the controller's concurrency.
// - A command is started only after reading it afresh from the API server, and marked Running
//   with an optimistic lock, so a stale cache or a second operator instance never runs it twice
//   concurrently. A command found Running (the operator stopped mid-way) is run again with the
//   same `since`: callbacks must be resumable (restartPods is).
// - A callback that throws fails the command with the error's message, except for transient
//   errors (the client's isTransient, or a ReconcileError that is not terminal): those are
//   retried with backoff while the command stays Running.
import { Type, type Static } from '@sinclair/typebox';
import type { KubeObject } from '../api/meta.ts';
import type { CustomResourceDefinition } from '../api/kinds/apiextensions.ts';
import { kindSchema } from '../api/kinds/meta.ts';
import type { KubeClient } from '../client/client.ts';
import type { ResourceApi } from '../client/resource.ts';
import { isConflict, isNotFound, isTransient } from '../client/errors.ts';
import type { Logger } from '../common/log.ts';
import type { SharedCache } from './cache.ts';
import { Controller, type Action, type ReconcileContext } from './controller.ts';
import { customResourceDefinition } from './crd.ts';
import { isDnsLabel } from './labels.ts';
import { ReconcileError } from './reconcile.ts';
import type { ObjectRef, ReadStore } from './store.ts';

export const COMMAND_VERSION = 'v1alpha1';
export const COMMAND_KINDS = ['Restart', 'Start', 'Stop'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type CommandPhase = (typeof PHASES)[number];

const TargetNameSchema = Type.String({ minLength: 1, description: 'Name of the resource the command acts on, in the namespace of the command.' });

export const CommandStatusSchema = Type.Object({
  phase: Type.Optional(Type.Union(PHASES.map((p) => Type.Literal(p)), { description: 'Pending, Running, Succeeded or Failed.' })),
  startedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the operator began to carry the command out.' })),
  finishedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the command succeeded or failed.' })),
  message: Type.Optional(Type.String({ description: 'What happened, or why the command failed and what to do.' })),
}, { description: 'How the command went; written by the operator.' });
export type CommandStatus = Static<typeof CommandStatusSchema>;

export const RestartSchema = kindSchema('Restarts the pods of a resource, one at a time by default.', {
  spec: Type.Object({
    name: TargetNameSchema,
    rolling: Type.Optional(Type.Boolean({ default: true, description: 'Restart the pods one at a time, each once the others are ready (the default), or all at once.' })),
  }),
  status: Type.Optional(CommandStatusSchema),
}, ['spec']);
export const StartSchema = kindSchema('Starts a stopped resource.', { spec: Type.Object({ name: TargetNameSchema }), status: Type.Optional(CommandStatusSchema) }, ['spec']);
export const StopSchema = kindSchema('Stops a resource, keeping its data.', { spec: Type.Object({ name: TargetNameSchema }), status: Type.Optional(CommandStatusSchema) }, ['spec']);

export type Restart = Static<typeof RestartSchema>;
export type Start = Static<typeof StartSchema>;
export type Stop = Static<typeof StopSchema>;
export type Command = Restart | Start | Stop;

/** The API group of a product's commands, e.g. command.zookeeper.granary.dev. */
export function commandGroup(product: string): string {
  if (!isDnsLabel(product)) throw new RangeError(`product name "${product}" must be a DNS label (lowercase letters, digits and '-')`);
  return `command.${product}.granary.dev`;
}

/** The CustomResourceDefinitions of a product's Restart, Start and Stop commands. */
export function commandCrds(product: string): CustomResourceDefinition[] {
  const group = commandGroup(product);
  const definition = (kind: CommandKind, plural: string, schema: typeof RestartSchema | typeof StartSchema, extraColumns: { name: string; jsonPath: string }[] = []) =>
    customResourceDefinition({
      group, kind, plural, categories: ['granary-commands'],
      versions: [{
        name: COMMAND_VERSION, schema, storage: true,
        printerColumns: [
          { name: 'Target', type: 'string', jsonPath: '.spec.name' },
          ...extraColumns.map((c) => ({ ...c, type: 'boolean' as const })),
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      }],
    });
  return [
    definition('Restart', 'restarts', RestartSchema, [{ name: 'Rolling', jsonPath: '.spec.rolling' }]),
    definition('Start', 'starts', StartSchema),
    definition('Stop', 'stops', StopSchema),
  ];
}

/** Creation order: by creation time, then by name (creation times have whole seconds). */
export function commandOrder(a: Command, b: Command): number {
  const time = Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '');
  if (time !== 0 && !Number.isNaN(time)) return time;
  const an = a.metadata.name ?? '';
  const bn = b.metadata.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}

export function isFinished(command: Command): boolean {
  const phase = command.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** What a callback gets besides the target. */
export interface CommandRun {
  /** The command being carried out, as read when it started. */
  command: Command;
  /** When the command started running; the same when a command left Running is run again. */
  since: Date;
  /** Aborted when the operator stops; the command is then left Running and resumed later. */
  signal: AbortSignal;
  log: Logger;
}

/**
 * What the product does for each command; resolve when done, throw to fail the command. A
 * command of a kind without a callback fails saying the product does not support it.
 */
export interface CommandHandlers<T extends KubeObject> {
  restart?: (target: T, run: CommandRun & { rolling: boolean }) => Promise<void>;
  start?: (target: T, run: CommandRun) => Promise<void>;
  stop?: (target: T, run: CommandRun) => Promise<void>;
}

export interface CommandControllerOptions<T extends KubeObject> {
  /** The product, e.g. "zookeeper": the commands live in command.<product>.granary.dev. */
  product: string;
  client: KubeClient;
  /** The process's shared informer cache (see ControllerOptions.cache). */
  cache?: SharedCache;
  /** The kind commands name in spec.name, e.g. the product's cluster resource. */
  target: { apiVersion: string; kind: string };
  handlers: CommandHandlers<T>;
  /** Watch one namespace only. */
  namespace?: string;
  /** Delete finished commands this long after they finished; kept until deleted when absent. */
  historyTtlMs?: number;
  /** Targets whose commands run at the same time (default 4). */
  concurrency?: number;
  /** Field manager of status writes (default "<product>-operator"). */
  manager?: string;
  log?: Logger;
}

export interface CommandController<T extends KubeObject> {
  /** The controller underneath: its primary kind is the target; it watches the command kinds. */
  readonly controller: Controller<T>;
  /** Runs until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
}

/**
 * Carries out a product's commands. The controller's primary kind is the target, so the work
 * queue runs one target's commands one at a time; it watches the three command kinds and maps
 * each command to its target. Run it beside the product's own controller.
 */
export function commandController<T extends KubeObject>(opts: CommandControllerOptions<T>): CommandController<T> {
  const apiVersion = `${commandGroup(opts.product)}/${COMMAND_VERSION}`;
  if (opts.historyTtlMs !== undefined && !(opts.historyTtlMs >= 0)) throw new RangeError(`historyTtlMs must be a non-negative number of milliseconds, got ${opts.historyTtlMs}`);
  const controller: Controller<T> = new Controller<T>({
    name: `${opts.product}-commands`, client: opts.client, cache: opts.cache, apiVersion: opts.target.apiVersion, kind: opts.target.kind,
    namespace: opts.namespace, concurrency: opts.concurrency, log: opts.log,
    // Only commands call for work: changes of a target never do (the initial list still queues
    // every target once, and a deleted target is always queued, to fail its open commands).
    predicates: [() => false],
    reconcile: (target, ctx) => commands.process({ namespace: target.metadata.namespace, name: target.metadata.name! }, target, ctx),
    cleanup: (ref, ctx) => commands.process(ref, undefined, ctx),
  });
  for (const kind of COMMAND_KINDS) controller.watches(apiVersion, kind, commandTarget, { namespace: opts.namespace });
  const api = new CommandApi(opts.client, apiVersion, opts.manager ?? `${opts.product}-operator`);
  const stores = COMMAND_KINDS.map((kind) => controller.storeOf<Command>(apiVersion, kind));
  const commands = new TargetCommands<T>(opts, api, stores, (ref) => fetchTarget(controller, ref));
  return {
    controller,
    run: async (signal) => {
      await Promise.all([controller.run(signal), queueAllTargets(controller, stores, signal)]);
    },
  };
}

/** The target a command names, to queue. */
function commandTarget(obj: KubeObject): ObjectRef[] {
  const name = (obj as Command).spec?.name;
  return typeof name === 'string' && name !== '' ? [{ namespace: obj.metadata.namespace, name }] : [];
}

/** The commands of one product on the API server: reads, status writes and deletes. */
class CommandApi {
  private readonly apis: Map<CommandKind, ResourceApi<Command>>;
  private readonly apiVersion: string;
  private readonly manager: string;

  constructor(client: KubeClient, apiVersion: string, manager: string) {
    this.apiVersion = apiVersion;
    this.manager = manager;
    this.apis = new Map(COMMAND_KINDS.map((kind) => [kind, client.resource<Command>(apiVersion, kind)] as const));
  }

  private of(command: Command): ResourceApi<Command> {
    return this.apis.get(command.kind as CommandKind)!;
  }

  /** The command as the API server has it now; undefined when it is gone. */
  async get(command: Command): Promise<Command | undefined> {
    try {
      return await this.of(command).get(command.metadata.name!, command.metadata.namespace);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Every command naming `ref`, read afresh. */
  async naming(ref: ObjectRef): Promise<Command[]> {
    const lists = await Promise.all(COMMAND_KINDS.map((kind) => this.apis.get(kind)!.list(ref.namespace)));
    return lists.flatMap((list, i) => list.items.map((c) => ({ ...c, apiVersion: this.apiVersion, kind: COMMAND_KINDS[i] }) as Command))
      .filter((c) => c.spec?.name === ref.name);
  }

  /** Merge-patches the status; with `locked`, only if the command did not change since it was read. Undefined when it is gone. */
  async writeStatus(command: Command, status: CommandStatus, locked = false): Promise<Command | undefined> {
    const patch = { ...(locked ? { metadata: { resourceVersion: command.metadata.resourceVersion } } : {}), status };
    try {
      return await this.of(command).patch(command.metadata.name!, command.metadata.namespace, patch, 'merge', { subresource: 'status', fieldManager: this.manager });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Marks the command finished; resolves with it as written (as meant, when it is gone). */
  async finish(command: Command, phase: 'Succeeded' | 'Failed', message: string): Promise<Command> {
    const status = { phase, finishedAt: timestamp(new Date()), message };
    return await this.writeStatus(command, status) ?? { ...command, status: { ...command.status, ...status } };
  }

  /** Deletes this very command (by uid), if it is still there. */
  async delete(command: Command): Promise<void> {
    try {
      await this.of(command).delete(command.metadata.name!, command.metadata.namespace, { preconditions: { uid: command.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

type TargetCommandsOptions<T extends KubeObject> = Pick<CommandControllerOptions<T>, 'product' | 'target' | 'handlers' | 'historyTtlMs'>;

/** One pass over the commands of one target: expire the finished, queue the waiting, run the next. */
class TargetCommands<T extends KubeObject> {
  private readonly opts: TargetCommandsOptions<T>;
  private readonly api: CommandApi;
  private readonly stores: ReadStore<Command>[];
  private readonly fetchTarget: (ref: ObjectRef) => Promise<T | undefined>;

  constructor(opts: TargetCommandsOptions<T>, api: CommandApi, stores: ReadStore<Command>[], fetchTarget: (ref: ObjectRef) => Promise<T | undefined>) {
    this.opts = opts;
    this.api = api;
    this.stores = stores;
    this.fetchTarget = fetchTarget;
  }

  async process(ref: ObjectRef, target: T | undefined, ctx: ReconcileContext<T>): Promise<Action> {
    const commands = await this.commandsOf(ref);
    const history = new History(this.opts.historyTtlMs, this.api);
    for (const command of commands.filter(isFinished)) {
      const finishedAt = Date.parse(command.status?.finishedAt ?? command.metadata.creationTimestamp ?? '');
      if (!Number.isNaN(finishedAt)) await history.finished(command, finishedAt);
    }
    const open = commands.filter((c) => !isFinished(c) && c.metadata.deletionTimestamp === undefined).sort(commandOrder);
    await this.markQueued(open.slice(1), ref);
    for (const command of open) {
      ctx.signal.throwIfAborted();
      const finished = await this.execute(command, ref, target, ctx);
      if (finished) await history.finished(finished, Date.now());
    }
    return history.nextExpiry === Infinity ? undefined : { requeueAfterMs: Math.max(0, history.nextExpiry - Date.now()) };
  }

  /**
   * The target's commands. The three kinds arrive through three watches, so the stores may
   * already hold a Stop but not the Restart created before it: while any is open, which command
   * runs next is decided on a fresh read.
   */
  private async commandsOf(ref: ObjectRef): Promise<Command[]> {
    const cached = this.stores.flatMap((store) => store.list()).filter((c) => c.metadata.namespace === ref.namespace && c.spec?.name === ref.name);
    return cached.some((c) => !isFinished(c)) ? await this.api.naming(ref) : cached;
  }

  /** Says Pending on commands that wait behind an earlier one. */
  private async markQueued(waiting: Command[], ref: ObjectRef): Promise<void> {
    for (const queued of waiting) {
      if (queued.status?.phase !== undefined) continue;
      try {
        // Locked: if our copy is stale, the command may have run already and must keep its phase.
        await this.api.writeStatus(queued, { phase: 'Pending', message: `queued: earlier commands for ${this.opts.target.kind} ${ref.name} run first` }, true);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
  }

  /** Carries one command out; resolves with it once finished (undefined when skipped). */
  private async execute(queued: Command, ref: ObjectRef, known: T | undefined, ctx: ReconcileContext<T>): Promise<Command | undefined> {
    const { product, target: { kind: targetKind } } = this.opts;
    const kind = queued.kind as CommandKind;
    let command = await this.api.get(queued);
    if (!command || command.metadata.uid !== queued.metadata.uid || isFinished(command)) return undefined;

    const target = known ?? await this.fetchTarget(ref);
    if (!target) {
      return this.api.finish(command, 'Failed', `there is no ${targetKind} "${ref.name}" in namespace ${ref.namespace}: create the ${kind} again with spec.name naming an existing ${targetKind}`);
    }
    const handler = handlerFor(this.opts.handlers, command);
    if (!handler) return this.api.finish(command, 'Failed', `the ${product} operator does not support ${kind} commands`);

    const resumed = command.status?.phase === 'Running' && command.status.startedAt !== undefined;
    const startedAt = resumed ? command.status!.startedAt! : timestamp(new Date());
    if (!resumed) {
      const running = await this.api.writeStatus(command, { phase: 'Running', startedAt, message: `carrying out the ${kind} of ${targetKind} ${ref.name}` }, true);
      if (!running) return undefined;
      command = running;
    }
    const log = ctx.log.child({ command: `${kind}/${command.metadata.name}` });
    log.info({ resumed }, 'running command');
    try {
      await handler(target, { command, since: new Date(startedAt), signal: ctx.signal, log });
    } catch (err) {
      if (ctx.signal.aborted || isTransient(err) || (err instanceof ReconcileError && !err.terminal)) throw err;
      log.warn({ err: (err as Error).message }, 'command failed');
      return this.api.finish(command, 'Failed', (err as Error).message || String(err));
    }
    log.info('command succeeded');
    return this.api.finish(command, 'Succeeded', `the ${kind} of ${targetKind} ${ref.name} is done`);
  }
}

/** Finished commands kept `ttlMs` after they finished (for ever without it): deletes the expired, notes the next expiry. */
class History {
  nextExpiry = Infinity;
  private readonly ttlMs: number | undefined;
  private readonly api: CommandApi;

  constructor(ttlMs: number | undefined, api: CommandApi) {
    this.ttlMs = ttlMs;
    this.api = api;
  }

  async finished(command: Command, finishedAt: number): Promise<void> {
    if (this.ttlMs === undefined) return;
    const expiry = finishedAt + this.ttlMs;
    if (expiry > Date.now()) this.nextExpiry = Math.min(this.nextExpiry, expiry);
    else await this.api.delete(command);
  }
}

/** The product's callback for this command; undefined when the product does not support its kind. */
function handlerFor<T extends KubeObject>(handlers: CommandHandlers<T>, command: Command): ((target: T, run: CommandRun) => Promise<void>) | undefined {
  const { restart, start, stop } = handlers;
  switch (command.kind as CommandKind) {
    case 'Restart':
      return restart && ((target, run) => restart(target, { ...run, rolling: (command as Restart).spec.rolling ?? true }));
    case 'Start':
      return start;
    case 'Stop':
      return stop;
  }
}

/** The target from the API server: the store may not have caught up with a new target yet. */
async function fetchTarget<T extends KubeObject>(controller: Controller<T>, ref: ObjectRef): Promise<T | undefined> {
  try {
    return await controller.api.get(ref.name, ref.namespace);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * The controller reconciles every existing target once at start; commands naming a target that
 * does not exist (to be failed, or expired) need their own first look.
 */
async function queueAllTargets<T extends KubeObject>(controller: Controller<T>, stores: ReadStore<Command>[], signal: AbortSignal): Promise<void> {
  const synced = Promise.all(stores.map((s) => s.ready));
  const aborted = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  if (await Promise.race([synced.then(() => true), aborted.then(() => false)])) {
    for (const command of stores.flatMap((store) => store.list())) {
      if (typeof command.spec?.name === 'string') controller.enqueue({ namespace: command.metadata.namespace, name: command.spec.name });
    }
  }
}

/** metav1.Time's wire form: RFC 3339, UTC, whole seconds. */
function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
