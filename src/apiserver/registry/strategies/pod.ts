// Pods: defaults, validation of the fields a node agent relies on, the spec fields an update may
// change, field selectors, and graceful deletion that waits for the node to confirm.
import type { Container, Pod, PodSpec, PodStatus } from '../../../api/kinds/core.ts';
import type { StatusCause } from '../../../api/meta.ts';
import { fieldCause } from '../../errors.ts';
import type { Strategy } from '../strategy.ts';

/** A pod as a client sent it: validation has not run yet, so its spec may lack even the containers. */
type PodInput = Omit<Pod, 'spec'> & { spec?: Partial<PodSpec> };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function defaultContainer(c: Container): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.imagePullPolicy === undefined && c.image) c.imagePullPolicy = /:latest$|^[^:]*$/.test(c.image.split('/').pop() ?? '') ? 'Always' : 'IfNotPresent';
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
}

/** Guaranteed when every container sets equal cpu and memory limits and requests; BestEffort when none set any. */
export function qosClass(spec: Partial<PodSpec>): NonNullable<PodStatus['qosClass']> {
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let any = false;
  let guaranteed = all.length > 0;
  for (const c of all) {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    if (Object.keys(limits).length || Object.keys(requests).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const limit = limits[r];
      const request = requests[r] ?? limit;
      if (limit === undefined || String(limit) !== String(request)) guaranteed = false;
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}

function validateContainers(list: Container[] | undefined, field: string, required: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!list || list.length === 0) {
    if (required) causes.push(fieldCause('FieldValueRequired', field, 'Required value'));
    return causes;
  }
  const seen = new Set<string>();
  list.forEach((c, i) => {
    const at = `${field}[${i}]`;
    if (!c.name) causes.push(fieldCause('FieldValueRequired', `${at}.name`, 'Required value'));
    else if (!DNS_LABEL.test(c.name) || c.name.length > 63) {
      causes.push(fieldCause('FieldValueInvalid', `${at}.name`, `Invalid value: ${JSON.stringify(c.name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`));
    } else if (seen.has(c.name)) causes.push(fieldCause('FieldValueDuplicate', `${at}.name`, `Duplicate value: ${JSON.stringify(c.name)}`));
    if (c.name) seen.add(c.name);
    if (!c.image) causes.push(fieldCause('FieldValueRequired', `${at}.image`, 'Required value'));
  });
  return causes;
}

/** Spec with the fields an update may change blanked out, so two specs compare equal when only those differ. */
function immutableView(spec: Partial<PodSpec> | undefined): unknown {
  const copy = structuredClone(spec ?? {});
  for (const c of [...(copy.containers ?? []), ...(copy.initContainers ?? [])]) delete c.image;
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  return copy;
}

export const podStrategy: Strategy = {
  defaults(obj) {
    const pod = obj as PodInput;
    const spec = (pod.spec ??= {});
    spec.restartPolicy ??= 'Always';
    spec.terminationGracePeriodSeconds ??= 30;
    spec.dnsPolicy ??= 'ClusterFirst';
    spec.schedulerName ??= 'default-scheduler';
    spec.securityContext ??= {};
    spec.enableServiceLinks ??= true;
    spec.priority ??= 0;
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) if (c && typeof c === 'object') defaultContainer(c);
  },
  prepareForCreate(obj) {
    const pod = obj as PodInput;
    pod.status = { phase: 'Pending', qosClass: qosClass(pod.spec ?? {}) };
  },
  validate(obj) {
    const pod = obj as PodInput;
    const causes = [...validateContainers(pod.spec?.containers, 'spec.containers', true), ...validateContainers(pod.spec?.initContainers, 'spec.initContainers', false)];
    const policy = pod.spec?.restartPolicy;
    if (policy && !['Always', 'OnFailure', 'Never'].includes(policy)) {
      causes.push(fieldCause('FieldValueNotSupported', 'spec.restartPolicy', `Unsupported value: ${JSON.stringify(policy)}: supported values: "Always", "OnFailure", "Never"`));
    }
    return causes;
  },
  validateUpdate(obj, old) {
    const next = obj as PodInput;
    const prev = old as PodInput;
    const causes: StatusCause[] = [];
    if (prev.spec?.nodeName && next.spec?.nodeName !== prev.spec.nodeName) {
      causes.push(fieldCause('FieldValueForbidden', 'spec.nodeName', 'Forbidden: a pod\'s node cannot change once it is bound; delete the pod and create it again'));
    } else if (JSON.stringify(immutableView({ ...next.spec, nodeName: undefined })) !== JSON.stringify(immutableView({ ...prev.spec, nodeName: undefined }))) {
      causes.push(fieldCause('FieldValueForbidden', 'spec', 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`'));
    }
    return causes;
  },
  selectableFields(obj) {
    const pod = obj as PodInput;
    return {
      'spec.nodeName': pod.spec?.nodeName ?? '',
      'spec.restartPolicy': pod.spec?.restartPolicy ?? '',
      'spec.schedulerName': pod.spec?.schedulerName ?? '',
      'spec.serviceAccountName': pod.spec?.serviceAccountName ?? '',
      'spec.hostNetwork': String(pod.spec?.hostNetwork ?? false),
      'status.phase': pod.status?.phase ?? '',
      'status.podIP': pod.status?.podIP ?? '',
      'status.nominatedNodeName': pod.status?.nominatedNodeName ?? '',
    };
  },
  gracefulDelete(obj, requested) {
    const pod = obj as PodInput;
    // A pod no node runs, or one that has finished, has nothing to wait for.
    if (!pod.spec?.nodeName || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return { gracePeriodSeconds: 0 };
    const grace = requested ?? pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    // Kubernetes keeps a bound pod for at least a second so its node always sees the deletion.
    return { gracePeriodSeconds: requested === 0 ? 0 : Math.max(1, grace) };
  },
};
