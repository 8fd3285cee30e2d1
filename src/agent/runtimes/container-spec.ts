// A pod's container as a service spec: the mapping from Kubernetes fields to what the runtimes
// run. Packages have no entrypoint, so a container must give its command; command and args get
// $(VAR) expansion against the container's environment and the {{...}} path variables.
import type { Container, Pod } from '../pod-types.ts';
import type { PathVariable } from '../volumes/layout.ts';
import { expandCommand } from '../volumes/env.ts';
import { substituteVariables } from '../volumes/substitute.ts';
import { serviceLimits } from './resources.ts';
import { podSliceName, RuntimeError, serviceName, type ContainerMount, type RestartPolicy, type ServiceSpec } from './runtime.ts';

/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_PERIOD_SECONDS = 30;

/**
 * The pod's restartPolicy for a container. Init containers that fail are retried unless the
 * policy is Never, and never rerun after they succeeded.
 */
export function restartPolicyFor(pod: Pod, init: boolean): RestartPolicy {
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (policy === 'Never') return 'never';
  return init || policy === 'OnFailure' ? 'on-failure' : 'always';
}

export interface ContainerServiceInput {
  pod: Pod;
  container: Container;
  init: boolean;
  /** The resolved environment (volumes/env.ts). */
  env: Record<string, string>;
  variables: Record<PathVariable, string>;
  /** For the container runtime: the pulled image and the container's bind mounts. */
  image?: { pinned: string; mounts: ContainerMount[] };
}

export function containerServiceSpec({ pod, container, init, env, variables, image }: ContainerServiceInput): ServiceSpec {
  const { namespace = 'default', name = '', uid = '' } = pod.metadata;
  if (!container.command?.length && !image) {
    throw new RuntimeError('InvalidSpec', `container ${container.name} has no command: packages have no default entrypoint, so give the program to run (e.g. "{{packageroot}}/bin/server")`);
  }
  // An image without a command runs its own entrypoint, with the container's args if any.
  const entrypointFromImage = !container.command?.length;
  const argv = expandCommand([...(container.command ?? []), ...(container.args ?? [])], env).map((arg) => substituteVariables(arg, variables));
  const runAsUser = container.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
  return {
    name: serviceName(namespace, name, container.name),
    slice: podSliceName(namespace, name),
    labels: { namespace, pod: name, podUid: uid, container: container.name },
    argv,
    env,
    ...(container.workingDir ? { workingDir: substituteVariables(container.workingDir, variables) } : {}),
    ...(runAsUser !== undefined ? { user: String(runAsUser) } : {}),
    restart: restartPolicyFor(pod, init),
    stopTimeoutSec: pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS,
    ...serviceLimits(container.resources),
    ...(image ? { container: { image: image.pinned, mounts: image.mounts, ...(entrypointFromImage ? { entrypointFromImage } : {}) } } : {}),
  };
}
