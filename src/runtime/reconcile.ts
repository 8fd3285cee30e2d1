// The reconcile chain: a reconcile is a list of small steps run in order against one context.
// Each step looks at the world and either lets the next step run (Continue), ends this pass
// because nothing more should happen now (Done), or ends it and asks to look again later
// (Requeue). A step may also return the problems it found that need the user (a pod that will
// not start, say) with its result; the chain collects them, so steps hand nothing to each other
// through the context. Errors end the pass too; a terminal ReconcileError says retrying cannot help.
//
//   const action = await chain(ctx).then(validateSpec).then(applyConfigMaps).then(createPods).run();
//   const { action, problems } = await chain(ctx).then(createPods).then(waitForPods).report();
//
// Guarantees:
// - Steps run strictly one after another, in the order given; a step starts only after the
//   previous one returned Continue. No step runs after Done, Requeue or an error.
// - A thrown error leaves the chain unchanged: `run` rejects with exactly that error, so the
//   controller can tell terminal from transient failures and back off accordingly.
// - `run` resolves to the controller's action: `{ requeueAfterMs }` after Requeue, `undefined`
//   after Done or when every step continued. `report` adds the problems of every step that ran,
//   in order.

/** What a step tells the chain. */
export type StepResult =
  | { readonly kind: 'continue' }
  | { readonly kind: 'done' }
  | { readonly kind: 'requeue'; readonly afterMs: number };

/** Let the next step run. */
export const Continue: StepResult = Object.freeze({ kind: 'continue' });
/** Stop here: the object is as it should be for now. */
export const Done: StepResult = Object.freeze({ kind: 'done' });
/** Stop here and reconcile again after `afterMs` (e.g. to wait for a pod to become ready). */
export function Requeue(afterMs: number): StepResult {
  if (!(afterMs >= 0) || !Number.isFinite(afterMs)) throw new RangeError(`requeue delay must be a finite, non-negative number of milliseconds, got ${afterMs}`);
  return { kind: 'requeue', afterMs };
}

/** A step's result with what the step found that needs the user (for conditions and events). */
export interface Reported<P> {
  readonly result: StepResult;
  readonly problems: readonly P[];
}

export function reported<P>(result: StepResult, problems: readonly P[]): Reported<P> {
  return { result, problems };
}

/** One step of a reconcile: it reads `ctx` and returns its result, with the problems it found. */
export type Step<C, P = never> = (ctx: C) => StepResult | Reported<P> | Promise<StepResult | Reported<P>>;

/** What the controller should do after a reconcile pass (the shape its `reconcile` returns). */
export type ReconcileAction = { requeueAfterMs: number } | undefined;

/** What a chain's pass came to: the controller's action and the problems its steps found. */
export interface ChainReport<P> {
  action: ReconcileAction;
  problems: P[];
}

export interface ReconcileErrorOptions {
  /** True when retrying cannot help until the object changes (invalid spec, say). */
  terminal?: boolean;
  /** A CamelCase reason for conditions and events, e.g. "InvalidConfig". */
  reason?: string;
  cause?: unknown;
}

/**
 * An error a step reports on purpose. Transient errors (the default) are retried with backoff;
 * terminal ones are not retried until the object changes. `reason` is meant for the Degraded
 * condition, `message` for the user and should say what to do.
 */
export class ReconcileError extends Error {
  override readonly name = 'ReconcileError';
  readonly terminal: boolean;
  readonly reason: string;

  constructor(message: string, opts: ReconcileErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.terminal = opts.terminal ?? false;
    this.reason = opts.reason ?? (this.terminal ? 'ReconcileFailed' : 'ReconcileRetrying');
  }

  /** An error retrying cannot fix. */
  static terminal(reason: string, message: string, cause?: unknown): ReconcileError {
    return new ReconcileError(message, { terminal: true, reason, cause });
  }

  /** An error that may go away by itself (a conflict, an unreachable API server). */
  static transient(reason: string, message: string, cause?: unknown): ReconcileError {
    return new ReconcileError(message, { terminal: false, reason, cause });
  }
}

/** True for errors that should not be retried until the object changes. */
export function isTerminal(err: unknown): boolean {
  return err instanceof ReconcileError && err.terminal;
}

/**
 * Runs `steps` in order on `ctx` and returns the first result that is not Continue, or Continue
 * when all continued, with the problems of every step that ran. A sequence is itself a step, so
 * chains nest.
 */
export function sequence<C, P = never>(steps: readonly Step<C, P>[]): (ctx: C) => Promise<Reported<P>> {
  const frozen = [...steps];
  return async (ctx) => {
    const problems: P[] = [];
    for (const step of frozen) {
      const returned = await step(ctx);
      const { result, problems: found } = 'result' in returned ? returned : reported<P>(returned, []);
      problems.push(...found);
      if (result.kind !== 'continue') return reported(result, problems);
    }
    return reported(Continue, problems);
  };
}

/** A chain of steps over one context, built with `then` and started with `run` or `report`. */
export class Chain<C, P = never> {
  private readonly ctx: C;
  private readonly steps: readonly Step<C, P>[];

  constructor(ctx: C, steps: readonly Step<C, P>[] = []) {
    this.ctx = ctx;
    this.steps = steps;
  }

  /** A new chain with `step` appended; the receiver is left as it was. */
  then<Q = never>(step: Step<C, Q>): Chain<C, P | Q> {
    return new Chain<C, P | Q>(this.ctx, [...this.steps, step]);
  }

  /** Runs the steps (see the module comment for the guarantees). */
  async run(): Promise<ReconcileAction> {
    return (await this.report()).action;
  }

  /** Runs the steps and returns the action with every problem the steps that ran found. */
  async report(): Promise<ChainReport<P>> {
    const { result, problems } = await sequence(this.steps)(this.ctx);
    return { action: toAction(result), problems: [...problems] };
  }
}

export function chain<C>(ctx: C): Chain<C> {
  return new Chain(ctx);
}

/** The controller action for a step result. */
export function toAction(result: StepResult): ReconcileAction {
  return result.kind === 'requeue' ? { requeueAfterMs: result.afterMs } : undefined;
}

/**
 * How a step over many items (usually pods) goes on after acting on some:
 * - `AllContinue`: act on every item that needs it, then let the next step run.
 * - `AllRequeue`: act on every item that needs it; if any needed it, requeue, else continue.
 *   (Create all missing pods in one pass, then wait for the result.)
 * - `OneRequeue`: act on the first item that needs it and requeue; continue when none did.
 *   (Restart pods one at a time, waiting in between.)
 */
export type ContinuationStrategy = 'AllContinue' | 'AllRequeue' | 'OneRequeue';

export interface ForEachOptions<C, I> {
  /** The items, in the order they should be acted on. */
  items: (ctx: C) => Iterable<I> | Promise<Iterable<I>>;
  /** Acts on one item if it needs it; resolves true when it did something. */
  act: (item: I, ctx: C) => boolean | Promise<boolean>;
  strategy: ContinuationStrategy;
  /** Delay of the requeue after acting (AllRequeue, OneRequeue). */
  requeueAfterMs: number;
}

/**
 * A step that applies `act` to items following a ContinuationStrategy.
 *
 * Items are handled one at a time in the given order. Under AllContinue and AllRequeue a failing
 * item does not stop the others: every item is tried, then the errors are thrown — the one error
 * as is, or several as one ReconcileError that is terminal only when all of them are. Under
 * OneRequeue the first error ends the step.
 */
export function forEachItem<C, I>(opts: ForEachOptions<C, I>): (ctx: C) => Promise<StepResult> {
  const requeue = Requeue(opts.requeueAfterMs);
  return async (ctx) => {
    const items = await opts.items(ctx);
    if (opts.strategy === 'OneRequeue') {
      for (const item of items) if (await opts.act(item, ctx)) return requeue;
      return Continue;
    }
    let acted = false;
    const errors: unknown[] = [];
    for (const item of items) {
      try {
        if (await opts.act(item, ctx)) acted = true;
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw combineErrors(errors);
    return acted && opts.strategy === 'AllRequeue' ? requeue : Continue;
  };
}

function combineErrors(errors: unknown[]): ReconcileError {
  const messages = errors.map((e) => (e instanceof Error ? e.message : String(e)));
  const terminal = errors.every(isTerminal);
  const reasons = new Set(errors.map((e) => (e instanceof ReconcileError ? e.reason : undefined)));
  const reason = reasons.size === 1 ? [...reasons][0] : undefined;
  return new ReconcileError(`${errors.length} items failed: ${messages.join('; ')}`, {
    terminal,
    reason,
    cause: new AggregateError(errors),
  });
}
