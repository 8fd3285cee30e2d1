// A container's environment as a kubelet builds it: envFrom sources in order (later ones win),
// then env entries in order, where a value may refer to variables defined before it as $(NAME);
// valueFrom reads ConfigMap and Secret keys, pod fields and resource limits. Finally
// {{packageroot}} and friends are replaced in every value. Pure: the ConfigMaps and Secrets come
// from a lookup the caller provides (its informer cache, say).
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from '../pod-types.ts';
import type { ConfigMap, Secret } from '../pod-types.ts';
import { parseQuantity } from '../../api/quantity.ts';
import { PodConfigError, type PodConfigErrorReason } from './errors.ts';
import type { PathVariable } from './layout.ts';
import { substituteVariables } from './substitute.ts';
import { ownValue, setOwn } from '../../common/own-properties.ts';

/** The pod's ConfigMaps and Secrets by name (in the pod's namespace); undefined when absent. */
export interface ConfigSources {
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
}

/** What a pod's fields and resources resolve against, besides the pod itself. */
export interface PodFacts {
  hostIP?: string;
  podIP?: string;
  /** Used for limits a container does not set, as Kubernetes does. */
  nodeAllocatable?: Record<string, string>;
}

export interface EnvContext extends PodFacts {
  pod: Pod;
  container: Container;
  sources: ConfigSources;
  variables: Record<PathVariable, string>;
}

export interface ResolvedEnv {
  env: Record<string, string>;
  /** envFrom keys that are not valid variable names and were left out (worth an event). */
  skipped: string[];
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Expands $(NAME) with `lookup` as Kubernetes does: $$ is a literal $, an unknown $(NAME) stays
 * as written, and a $ before anything else is just a $.
 */
export function expandReferences(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

/** command and args with $(NAME) expanded against the container's final environment. */
export function expandCommand(argv: string[], env: Record<string, string>): string[] {
  return argv.map((arg) => expandReferences(arg, (name) => ownValue(env, name)));
}

// Keys come from pod specs and objects: looked up as own properties only (a key "constructor" must
// find nothing, not a function every object inherits), and set as own properties ("__proto__" too).
const decodeSecret = (secret: Secret, key: string): string | undefined => {
  const text = ownValue(secret.stringData, key);
  if (text !== undefined) return text;
  const data = ownValue(secret.data, key);
  return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
};

const fail = (reason: PodConfigErrorReason, message: string) => new PodConfigError(reason, message);

/** A pod field as the downward API exposes it, for env (`forVolume` false) or a downwardAPI file. */
export function podField(pod: Pod, selector: ObjectFieldSelector, facts: PodFacts, forVolume: boolean, reason: PodConfigErrorReason): string {
  const path = selector.fieldPath;
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return ownValue(pod.metadata[keyed[1] as 'labels' | 'annotations'], keyed[2]) ?? '';
  switch (path) {
    case 'metadata.name': return pod.metadata.name ?? '';
    case 'metadata.namespace': return pod.metadata.namespace ?? '';
    case 'metadata.uid': return pod.metadata.uid ?? '';
    case 'spec.nodeName': if (!forVolume) return pod.spec.nodeName ?? ''; break;
    case 'spec.serviceAccountName': if (!forVolume) return pod.spec.serviceAccountName ?? ''; break;
    case 'status.hostIP': case 'status.hostIPs': if (!forVolume) return facts.hostIP ?? pod.status?.hostIP ?? ''; break;
    case 'status.podIP': case 'status.podIPs': if (!forVolume) return facts.podIP ?? pod.status?.podIP ?? facts.hostIP ?? ''; break;
    case 'metadata.labels': case 'metadata.annotations':
      if (forVolume) {
        const map = pod.metadata[path === 'metadata.labels' ? 'labels' : 'annotations'] ?? {};
        return Object.keys(map).sort().map((k) => `${k}=${JSON.stringify(map[k])}`).join('\n');
      }
      break;
  }
  throw fail(reason, `fieldPath ${JSON.stringify(path)} is not supported ${forVolume ? 'in a downwardAPI volume' : 'in env'}`);
}

/** A container's resource request or limit divided by the divisor, rounded up, as Kubernetes reports it. */
export function resourceField(pod: Pod, selector: ResourceFieldSelector, defaultContainer: string | undefined, facts: PodFacts, reason: PodConfigErrorReason): string {
  const name = selector.containerName || defaultContainer;
  const container = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === name);
  if (!container) throw fail(reason, `resourceFieldRef names container ${JSON.stringify(name ?? '')}, which the pod does not have`);
  const match = /^(limits|requests)\.(cpu|memory|ephemeral-storage)$/.exec(selector.resource);
  if (!match) throw fail(reason, `resourceFieldRef resource ${JSON.stringify(selector.resource)} is not supported (limits|requests).(cpu|memory|ephemeral-storage)`);
  const [, kind, resource] = match;
  const set = container.resources?.[kind as 'limits' | 'requests']?.[resource];
  const fallback = kind === 'limits' ? facts.nodeAllocatable?.[resource] : undefined;
  // Whole milli-cores and bytes, so that 250m / 1m is exactly 250.
  const scale = resource === 'cpu' ? 1000 : 1;
  const value = Math.round((parseQuantity(set ?? fallback ?? 0) ?? NaN) * scale);
  const divisor = Math.round((parseQuantity(selector.divisor ?? 1) ?? NaN) * scale);
  if (!Number.isFinite(value) || !(divisor > 0)) throw fail(reason, `resourceFieldRef ${selector.resource} of ${name} has an invalid quantity or divisor`);
  return String(Math.ceil(value / divisor));
}

export function resolveEnv(context: EnvContext): ResolvedEnv {
  const { pod, container, sources } = context;
  const env: Record<string, string> = {};
  const skipped: string[] = [];
  const configError = (message: string) => fail('CreateContainerConfigError', message);

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Record<string, string> | undefined;
    if (from.configMapRef) {
      const configMap = sources.configMap(from.configMapRef.name ?? '');
      if (!configMap && !from.configMapRef.optional) throw configError(`configmap "${from.configMapRef.name}" not found`);
      data = configMap?.data;
    } else if (from.secretRef) {
      const secret = sources.secret(from.secretRef.name ?? '');
      if (!secret && !from.secretRef.optional) throw configError(`secret "${from.secretRef.name}" not found`);
      data = secret ? Object.fromEntries(Object.keys({ ...secret.data, ...secret.stringData }).map((k) => [k, decodeSecret(secret, k)!])) : undefined;
    }
    for (const key of Object.keys(data ?? {}).sort()) {
      const name = prefix + key;
      if (!ENV_NAME.test(name)) skipped.push(name);
      else setOwn(env, name, data![key]);
    }
  }

  for (const variable of container.env ?? []) {
    const source = variable.valueFrom;
    if (!source) {
      setOwn(env, variable.name, expandReferences(variable.value ?? '', (name) => ownValue(env, name)));
      continue;
    }
    let value: string | undefined;
    if (source.configMapKeyRef) {
      const { name = '', key, optional } = source.configMapKeyRef;
      const configMap = sources.configMap(name);
      if (!configMap && !optional) throw configError(`configmap "${name}" not found`);
      value = ownValue(configMap?.data, key);
      if (configMap && value === undefined && !optional) throw configError(`couldn't find key ${key} in ConfigMap ${pod.metadata.namespace}/${name}`);
    } else if (source.secretKeyRef) {
      const { name = '', key, optional } = source.secretKeyRef;
      const secret = sources.secret(name);
      if (!secret && !optional) throw configError(`secret "${name}" not found`);
      value = secret ? decodeSecret(secret, key) : undefined;
      if (secret && value === undefined && !optional) throw configError(`couldn't find key ${key} in Secret ${pod.metadata.namespace}/${name}`);
    } else if (source.fieldRef) {
      value = podField(pod, source.fieldRef, context, false, 'CreateContainerConfigError');
    } else if (source.resourceFieldRef) {
      value = resourceField(pod, source.resourceFieldRef, container.name, context, 'CreateContainerConfigError');
    } else {
      throw configError(`env ${variable.name} has a valueFrom without a source`);
    }
    // An optional reference that is missing leaves the variable out, as Kubernetes does.
    if (value !== undefined) setOwn(env, variable.name, value);
  }

  for (const name of Object.keys(env)) env[name] = substituteVariables(env[name], context.variables);
  return { env, skipped };
}
