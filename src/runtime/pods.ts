// Reconcile steps for the pods of one custom resource: one pod per stable identity
// (pod-identity.ts), each bound to a node by the operator (placement.ts) and run by the node
// agent. Put them in a chain, usually in this order:
//
//   chain(ctx).then(deleteIllegalPods).then(waitForTerminatingPods).then(deleteExcessPods)
//     .then(createMissingPods).then(waitForRunningAndReadyPods).then(...)
//
// Each step returns Continue when it had nothing to do, and Requeue after it acted (the pods in
// the context are then stale, so the pass ends and the next one reads them anew) or while it
// waits. They differ from the Stackable framework's steps where those fell short: all missing
// pods are created in one pass, excess pods go highest id first (never an arbitrary one), and a
// pod that will not get better by waiting (crash-looping, failed, image missing) is returned as
// a problem with the step's result instead of being waited on forever. The context is only read.
//
// Only pods the owner controls (a controller ownerReference to its uid) are ever touched.
import type { KubeObject, ObjectMeta, OwnerReference } from '../api/meta.ts';
import type { ContainerStatus, Pod, PodSpec } from '../api/kinds/core.ts';
import type { ResourceApi } from '../client/resource.ts';
import type { Logger } from '../common/log.ts';
import { isAlreadyExists, isConflict, isInvalid, isNotFound } from '../client/errors.ts';
import { appLabels, LABEL_COMPONENT, LABEL_ROLE_GROUP, resourceName, selectorLabels, toLabelValue } from './labels.ts';
import { desiredPods, existingPod, LABEL_POD_ID } from './pod-identity.ts';
import { placePods, type NodeInfo, type PreviousPlacement } from './placement.ts';
import { Continue, forEachItem, ReconcileError, reported, Requeue, type Reported, type StepResult } from './reconcile.ts';
import type { Role } from './roles.ts';
import type { EventRecorder } from './events.ts';

/** The pod calls the helpers make. A ResourceApi<Pod> is one; tests may pass a fake. */
export type PodApi = Pick<ResourceApi<Pod>, 'create' | 'delete'>;

/** A pod that needs attention the helpers cannot give, for the user (status, events). */
export interface PodProblem {
  /** The pod, or for a pod that could not be created, the name it would have had. */
  pod: string;
  /** CamelCase, e.g. CrashLoopBackOff, PodFailed, NoEligibleNode. */
  reason: string;
  /** What is wrong and what to do about it. */
  message: string;
}

/** What a pod step returns: its result and the problems it found (see podFailure). */
export type PodStepResult = Reported<PodProblem>;

/** What a builder is asked for: the pod of one identity on one node. */
export interface PodBuildInput {
  owner: KubeObject;
  role: string;
  roleGroup: string;
  id: number;
  node: string;
  /** The name the pod gets. */
  name: string;
  /** The labels the pod gets (the builder may add its own). */
  labels: Readonly<Record<string, string>>;
}

/** The part of a pod only the product knows. */
export interface PodTemplate {
  metadata?: Pick<ObjectMeta, 'labels' | 'annotations'>;
  spec: PodSpec;
}

/**
 * Builds the pod of one identity. Name, namespace, owner reference, the labels in `input.labels`
 * and spec.nodeName are set by createMissingPods and win over what the template says.
 */
export type PodBuilder = (input: PodBuildInput) => PodTemplate | Promise<PodTemplate>;

/** What the pod steps decide from, without I/O: the owner, its roles, its pods and the nodes as they are now. */
export interface PodSet {
  /** The custom resource the pods belong to; it must be namespaced and have a uid. */
  owner: KubeObject;
  /** The product, for app.kubernetes.io/name, e.g. "zookeeper". */
  product: string;
  /** The operator: app.kubernetes.io/managed-by and the field manager of its writes. */
  manager: string;
  /** The product version, for app.kubernetes.io/version. */
  version?: string;
  /** The roles as the spec says now, by role name (the app.kubernetes.io/component label). */
  roles: Readonly<Record<string, Role<unknown>>>;
  /** The owner's pods as they are now (pods it does not control are ignored). */
  pods: readonly Pod[];
  /** The cluster's nodes, for placing new pods. */
  nodes: readonly NodeInfo[];
  /**
   * Per role, where identities ran before (e.g. as recorded in the owner's status), so that a
   * recreated pod goes back to its node and keeps its number (see planPodIds). The nodes of
   * existing pods are added and win.
   */
  previousPlacements?: Readonly<Record<string, readonly PreviousPlacement[]>>;
  buildPod: PodBuilder;
  /**
   * The product's members form a quorum (ZooKeeper, say): excess pods are removed one at a
   * time, each only while no pod terminates and every pod that stays is Running and Ready.
   */
  quorum?: boolean;
  /** Delay of every Requeue (default DEFAULT_POD_REQUEUE_MS). */
  requeueAfterMs?: number;
  /** Whether a missing pod may be created now (default: every one); one held back is created in a later pass. */
  mayCreate?(pod: { roleGroup: string; id: number }): boolean;
}

/** What the pod steps work on: the pod set and the API they create and delete pods through. */
export interface PodContext extends PodSet {
  podApi: PodApi;
  /** Told about every pod created or deleted, and why. */
  log?: Logger;
  /** Records every pod created or deleted, and why, as an event of the owner (kubectl describe shows it). */
  events?: Pick<EventRecorder, 'publish'>;
}

/**
 * Requeue delay when none is given. Operators that own their pods are woken by pod changes
 * anyway; this is the fallback.
 */
export const DEFAULT_POD_REQUEUE_MS = 10_000;

/** How long after its deletion deadline a pod still there counts as stuck. */
const STUCK_TERMINATING_MS = 60_000;

/** Waiting reasons of a container that waiting will not cure. */
const STUCK_WAITING_REASONS = new Set([
  'CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull',
  'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError',
]);

/** The name of an identity's pod: "<instance>-<role>-<group>-<id>", shortened to 63 characters if need be. */
export function podName(instance: string, role: string, roleGroup: string, id: number): string {
  return resourceName(instance, role, roleGroup, id);
}

export function isPodRunning(pod: Pod): boolean {
  return pod.status?.phase === 'Running';
}

/** The pod's Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Restarts of all the pod's containers together (init containers included). */
export function containerRestarts(pod: Pod): number {
  return containerStatuses(pod).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
}

/** Some container waits out the back-off after crashing again and again. */
export function podIsCrashLooping(pod: Pod): boolean {
  return containerStatuses(pod).some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff');
}

/** The node the pod is bound to, if any. */
export function nodeOfPod(pod: Pod): string | undefined {
  return pod.spec?.nodeName || undefined;
}

/**
 * Why the pod will not become Running and Ready by waiting, or undefined when it may: it has
 * finished (Failed, Succeeded) or a container is stuck (crash loop, package that cannot be
 * fetched, bad configuration).
 */
export function podFailure(pod: Pod): PodProblem | undefined {
  const name = pod.metadata.name ?? '';
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') {
    const why = [pod.status?.reason, pod.status?.message].filter(Boolean).join(': ');
    return {
      pod: name,
      reason: phase === 'Failed' ? 'PodFailed' : 'PodCompleted',
      message: `pod ${name} has ${phase === 'Failed' ? 'failed' : 'exited'}${why ? ` (${why})` : ''} and will not run again: delete it to have it recreated, or issue a Restart command`,
    };
  }
  for (const c of containerStatuses(pod)) {
    const waiting = c.state?.waiting?.reason;
    if (waiting === undefined || !STUCK_WAITING_REASONS.has(waiting)) continue;
    if (waiting === 'CrashLoopBackOff') {
      const last = c.lastState?.terminated;
      const exit = last ? `; last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : '';
      return {
        pod: name,
        reason: waiting,
        message: `container ${c.name} of pod ${name} keeps crashing (restarted ${c.restartCount} times${exit}): read its log with "kubectl logs ${name} -c ${c.name} --previous" and fix the cause`,
      };
    }
    return { pod: name, reason: waiting, message: `container ${c.name} of pod ${name} cannot start: ${c.state?.waiting?.message ?? waiting}` };
  }
  return undefined;
}

/** The owner's pods whose labels no current role and role group accounts for, with why. */
export function illegalPods(ctx: PodSet): { pod: Pod; why: string }[] {
  const expected = selectorLabels({ name: ctx.product, instance: ctx.owner.metadata.name ?? '' });
  const result: { pod: Pod; why: string }[] = [];
  for (const pod of ownedPods(ctx)) {
    const labels = pod.metadata.labels ?? {};
    const why = labelProblem(labels, expected, ctx.roles);
    if (why) result.push({ pod, why });
  }
  return result;
}

/**
 * Deletes the owner's pods that belong to no role and role group of the spec, or lack the
 * labels that say which (product, instance, component, role group, pod id). Such pods are
 * leftovers of a removed role or group, or were created by hand; nothing would manage them.
 */
export async function deleteIllegalPods(ctx: PodContext): Promise<StepResult> {
  return forEachItem<PodContext, { pod: Pod; why: string }>({
    items: () => illegalPods(ctx).filter((i) => !isTerminating(i.pod)),
    act: async ({ pod, why }) => {
      ctx.log?.info({ pod: pod.metadata.name, why }, 'deleting a pod no role group accounts for');
      return deleteAndRecord(ctx, pod, `no role group accounts for it (${why})`);
    },
    strategy: 'AllRequeue',
    requeueAfterMs: requeueDelay(ctx),
  })(ctx);
}

/**
 * Requeues while any of the owner's pods is terminating, so that no identity is recreated and
 * no decision is made while the old pod may still run. A pod still there a minute after its
 * deletion deadline is reported: its node is probably down.
 */
export function waitForTerminatingPods(ctx: PodSet): PodStepResult {
  const terminating = ownedPods(ctx).filter(isTerminating);
  const now = Date.now();
  const problems: PodProblem[] = [];
  for (const pod of terminating) {
    const deadline = Date.parse(pod.metadata.deletionTimestamp!);
    if (!(now - deadline > STUCK_TERMINATING_MS)) continue;
    const name = pod.metadata.name ?? '';
    const node = nodeOfPod(pod);
    problems.push({
      pod: name,
      reason: 'TerminationStuck',
      message: `pod ${name} should have stopped by ${pod.metadata.deletionTimestamp} but still exists: check that node ${node ?? '(none)'} and its agent are up; if the node is gone for good, remove the pod with "kubectl delete pod ${name} --force --grace-period=0"`,
    });
  }
  return reported(terminating.length > 0 ? Requeue(requeueDelay(ctx)) : Continue, problems);
}

/**
 * Requeues until every pod of the owner is Running and Ready. Pods that will not get there by
 * waiting (see podFailure) are returned as problems and not waited for: once every other pod is
 * ready, the step continues.
 */
export function waitForRunningAndReadyPods(ctx: PodSet): PodStepResult {
  let waiting = false;
  const problems: PodProblem[] = [];
  for (const pod of ownedPods(ctx)) {
    if (isTerminating(pod)) {
      waiting = true;
      continue;
    }
    if (isPodRunning(pod) && isPodReady(pod)) continue;
    const failure = podFailure(pod);
    if (failure) problems.push(failure);
    else waiting = true;
  }
  return reported(waiting ? Requeue(requeueDelay(ctx)) : Continue, problems);
}

/**
 * The owner's pods beyond their role groups' replicas, not yet terminating, in the order
 * deleteExcessPods removes them (per role, highest pod id first).
 */
export function excessPods(ctx: PodSet): Pod[] {
  const owned = ownedPods(ctx);
  const byName = new Map(owned.map((p) => [p.metadata.name ?? '', p]));
  const excess: Pod[] = [];
  for (const [roleName, role] of sortedEntries(ctx.roles)) {
    const plan = desiredPods(role, podsOfRole(owned, roleName).map(existingPod), ctx.previousPlacements?.[roleName]);
    for (const doomed of plan.delete) excess.push(byName.get(doomed.name)!);
  }
  return excess;
}

/**
 * Deletes the pods beyond each role group's replicas, the highest pod ids first (as the id plan
 * of pod-identity.ts says). With `ctx.quorum`, one pod per pass, and only while no pod is
 * terminating and every pod that stays is Running and Ready; a pod that blocks this and will not
 * get better is reported.
 */
export async function deleteExcessPods(ctx: PodContext): Promise<PodStepResult> {
  const owned = ownedPods(ctx);
  const excess = excessPods(ctx);
  if (excess.length === 0) return reported(Continue, []);
  const removeExcess = async (pod: Pod) => {
    ctx.log?.info({ pod: pod.metadata.name }, 'deleting a pod beyond its role group\'s replicas');
    return deleteAndRecord(ctx, pod, `beyond the replicas of role group ${existingPod(pod).roleGroup}`);
  };
  if (!ctx.quorum) {
    return reported(await forEachItem<PodContext, Pod>({ items: () => excess, act: removeExcess, strategy: 'AllRequeue', requeueAfterMs: requeueDelay(ctx) })(ctx), []);
  }
  if (owned.some(isTerminating)) return reported(Requeue(requeueDelay(ctx)), []);
  const next = excess[0];
  const staying = owned.filter((p) => !excess.includes(p));
  const unready = staying.filter((p) => !(isPodRunning(p) && isPodReady(p)));
  if (unready.length > 0) {
    const problems: PodProblem[] = [];
    for (const pod of unready) {
      const failure = podFailure(pod);
      if (failure) {
        problems.push({
          pod: failure.pod,
          reason: 'ScaleDownBlocked',
          message: `pod ${next.metadata.name} is not removed while pod ${failure.pod} is unhealthy, to keep the quorum: ${failure.message}`,
        });
      }
    }
    return reported(Requeue(requeueDelay(ctx)), problems);
  }
  await removeExcess(next);
  return reported(Requeue(requeueDelay(ctx)), []);
}

/**
 * Creates every missing pod of every role in one pass, each on the node placement.ts chooses
 * (its previous node when it can), with the owner reference, the app.kubernetes.io labels, the
 * pod-id label and spec.nodeName. A pod that fails to build or create does not stop the others:
 * all are tried, then the failures are thrown together (see forEachItem). Identities no node
 * fits are returned as NoEligibleNode problems. Requeues when it created a pod or could not
 * place one.
 */
export async function createMissingPods(ctx: PodContext): Promise<PodStepResult> {
  const { owner } = ctx;
  if (!owner.metadata.uid || !owner.metadata.namespace) {
    throw ReconcileError.terminal('InvalidOwner', `${owner.kind} ${owner.metadata.name}: pods can only be created for a stored, namespaced object (uid and namespace are required)`);
  }
  const instance = owner.metadata.name ?? '';
  const owned = ownedPods(ctx);
  const toCreate: PodBuildInput[] = [];
  const problems: PodProblem[] = [];
  let held = false;
  for (const [roleName, role] of sortedEntries(ctx.roles)) {
    const rolePods = podsOfRole(owned, roleName);
    const plan = desiredPods(role, rolePods.map(existingPod), ctx.previousPlacements?.[roleName]);
    if (plan.create.length === 0) continue;
    const previous: PreviousPlacement[] = [...(ctx.previousPlacements?.[roleName] ?? [])];
    for (const pod of rolePods) {
      const { roleGroup, id } = existingPod(pod);
      const node = nodeOfPod(pod);
      if (id !== undefined && node !== undefined) previous.push({ roleGroup, id, node });
    }
    // Kept pods are placed too, so that new pods spread away from the nodes they occupy.
    const plans = placePods(plan.desired.map((d) => ({ ...d, selector: role.roleGroups[d.roleGroup]?.selector })), ctx.nodes, previous);
    const creating = new Set(plan.create.map((c) => `${c.roleGroup}/${c.id}`));
    for (const placed of plans.placed) {
      if (!creating.has(`${placed.roleGroup}/${placed.id}`)) continue;
      if (ctx.mayCreate && !ctx.mayCreate(placed)) {
        held = true;
        continue;
      }
      const name = podName(instance, roleName, placed.roleGroup, placed.id);
      const labels = {
        ...appLabels({ name: ctx.product, instance, component: roleName, roleGroup: placed.roleGroup, version: ctx.version, managedBy: ctx.manager }),
        [LABEL_POD_ID]: String(placed.id),
      };
      toCreate.push({ owner, role: roleName, roleGroup: placed.roleGroup, id: placed.id, node: placed.node, name, labels });
    }
    for (const missing of plans.unplaced) {
      if (!creating.has(`${missing.roleGroup}/${missing.id}`)) continue;
      problems.push({
        pod: podName(instance, roleName, missing.roleGroup, missing.id),
        reason: 'NoEligibleNode',
        message: `pod ${missing.id} of role ${roleName}, group ${missing.roleGroup} has no node: ${missing.reason}`,
      });
    }
  }
  const result = await forEachItem<PodContext, PodBuildInput>({
    items: () => toCreate,
    act: async (input) => createPod(ctx, input),
    strategy: 'AllRequeue',
    requeueAfterMs: requeueDelay(ctx),
  })(ctx);
  return reported(problems.length > 0 || held ? Requeue(requeueDelay(ctx)) : result, problems);
}

async function createPod(ctx: PodContext, input: PodBuildInput): Promise<boolean> {
  const owner = ctx.owner;
  let template: PodTemplate;
  try {
    template = await ctx.buildPod(input);
  } catch (err) {
    throw new ReconcileError(`could not build pod ${input.name}: ${(err as Error).message}`, {
      terminal: err instanceof ReconcileError && err.terminal, reason: 'PodBuildFailed', cause: err,
    });
  }
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      name: input.name,
      namespace: owner.metadata.namespace,
      labels: { ...template.metadata?.labels, ...input.labels },
      ownerReferences: [controllerReference(owner)],
    },
    spec: { ...template.spec, nodeName: input.node },
  };
  try {
    await ctx.podApi.create(pod, { fieldManager: ctx.manager });
    ctx.log?.info({ pod: input.name, node: input.node }, 'created pod');
    void ctx.events?.publish(owner, { type: 'Normal', reason: 'SuccessfulCreate', action: 'Create', note: `created pod ${input.name} on node ${input.node}` });
  } catch (err) {
    // Our view of the pods was stale: the pod is there, the next pass sees it.
    if (isAlreadyExists(err)) return true;
    const message = `could not create pod ${input.name} on node ${input.node}: ${(err as Error).message}`;
    void ctx.events?.publish(owner, { type: 'Warning', reason: 'FailedCreate', action: 'Create', note: message });
    // The API server rejected the pod itself: retrying the same pod cannot help.
    if (isInvalid(err)) throw ReconcileError.terminal('InvalidPod', message, err);
    throw ReconcileError.transient('PodCreateFailed', message, err);
  }
  return true;
}

/**
 * Deletes one pod, only if it is still the same pod (uid precondition): a pod of the same name
 * created since is left alone. Resolves true (something changed, look again).
 */
export async function deletePod(api: Pick<PodApi, 'delete'>, pod: Pod): Promise<boolean> {
  const name = pod.metadata.name ?? '';
  try {
    await api.delete(name, pod.metadata.namespace, { preconditions: { uid: pod.metadata.uid } });
  } catch (err) {
    if (isNotFound(err) || isConflict(err)) return true;
    throw ReconcileError.transient('PodDeleteFailed', `could not delete pod ${name}: ${(err as Error).message}`, err);
  }
  return true;
}

/** deletePod, then an event of the owner saying why. */
async function deleteAndRecord(ctx: PodContext, pod: Pod, why: string): Promise<boolean> {
  const changed = await deletePod(ctx.podApi, pod);
  void ctx.events?.publish(ctx.owner, { type: 'Normal', reason: 'SuccessfulDelete', action: 'Delete', note: `deleted pod ${pod.metadata.name}: ${why}` });
  return changed;
}

export function isTerminating(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/** The pods of `ctx.pods` with a controller ownerReference to the owner. */
export function ownedPods(ctx: Pick<PodSet, 'owner' | 'pods'>): Pod[] {
  const uid = ctx.owner.metadata.uid;
  if (!uid) return [];
  return ctx.pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === uid));
}

/** The ownerReference by which `owner` controls an object (and blocks its own foreground deletion until it is gone). */
/** Granary nodes carry this taint so that ordinary pods stay away; products' pods belong there. */
export const GRANARY_TOLERATIONS: NonNullable<PodSpec['tolerations']> = [
  { key: 'kubernetes.io/arch', operator: 'Equal', value: 'granary-linux', effect: 'NoSchedule' },
  { key: 'kubernetes.io/arch', operator: 'Equal', value: 'granary-linux', effect: 'NoExecute' },
];

export function controllerReference(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

function labelProblem(labels: Record<string, string>, expected: Record<string, string>, roles: PodSet['roles']): string | undefined {
  for (const [key, value] of Object.entries(expected)) {
    if (labels[key] !== value) return labels[key] === undefined ? `label ${key} is missing` : `label ${key} is "${labels[key]}", not "${value}"`;
  }
  const component = labels[LABEL_COMPONENT];
  if (component === undefined) return `label ${LABEL_COMPONENT} is missing`;
  const role = Object.entries(roles).find(([name]) => toLabelValue(name) === component)?.[1];
  if (!role) return `role "${component}" is not in the spec`;
  const pod = existingPod({ apiVersion: 'v1', kind: 'Pod', metadata: { labels } });
  if (labels[LABEL_ROLE_GROUP] === undefined) return `label ${LABEL_ROLE_GROUP} is missing`;
  if (!Object.hasOwn(role.roleGroups, pod.roleGroup)) return `role group "${pod.roleGroup}" of role "${component}" is not in the spec`;
  if (pod.id === undefined) return `label ${LABEL_POD_ID} is missing or not a pod number`;
  return undefined;
}

function podsOfRole(pods: readonly Pod[], role: string): Pod[] {
  const component = toLabelValue(role);
  return pods.filter((p) => p.metadata.labels?.[LABEL_COMPONENT] === component);
}

function containerStatuses(pod: Pod): ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

function sortedEntries<V>(record: Readonly<Record<string, V>>): [string, V][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function requeueDelay(ctx: PodSet): number {
  return ctx.requeueAfterMs ?? DEFAULT_POD_REQUEUE_MS;
}
