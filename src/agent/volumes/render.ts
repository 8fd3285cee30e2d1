// A pod's volumes as files under its own directory, and its containers' volumeMounts as
// symbolic links from the pod's config, log and data roots to those files. Granary services
// share the host's filesystem, so a "mount" is a link, and it may only be placed inside the
// pod's roots: a mountPath anywhere else is refused before anything is written. hostPath
// volumes are directories inside the node's volume root that outlive the pod (host-path.ts);
// removing the pod's files removes only the links to them.
//
// Rendering again after a ConfigMap or Secret changed rewrites the affected volumes atomically
// (atomic-writer.ts) and reports which ones changed.
import { chmod, chown, lstat, mkdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve } from 'node:path';
import type { ContainerMount } from '../runtimes/runtime.ts';
import type { Container, KeyToPath, Pod, Volume } from '../pod-types.ts';
import { checkHostDirectory, ensureHostDirectory, resolveHostPath, type HostDirectory } from './host-path.ts';
import { checkVolumePath, writeVolume, type Owner, type VolumeFile } from './atomic-writer.ts';
import type { CertificateSource } from './certificates.ts';
import { podField, resourceField, type ConfigSources, type PodFacts } from './env.ts';
import { PodConfigError } from './errors.ts';
import type { PathVariable, PodPaths } from './layout.ts';
import { substituteInFile, substituteVariables } from './substitute.ts';
import { secretClassOfVolume, SECRETS_DRIVER } from '../../runtime/secret-class.ts';

export interface VolumeContext extends PodFacts {
  pod: Pod;
  paths: PodPaths;
  sources: ConfigSources;
  /** {{packageroot}} is that of the pod's first container: volumes belong to the whole pod. */
  variables: Record<PathVariable, string>;
  /** The user services run as: owner of the pod's roots, emptyDirs and volume files. */
  owner?: Owner;
  /** Fills certificate volumes (CSI driver secrets.granary.dev); without it they are refused. */
  certificates?: CertificateSource;
  /**
   * Containers have their own filesystem: volumes are bind-mounted at their mountPaths
   * (containerMounts) instead of linked into the pod's roots.
   */
  inContainers?: boolean;
}

const failedMount = (message: string) => new PodConfigError('FailedMount', message);

const allContainers = (pod: Pod): Container[] => [...(pod.spec.initContainers ?? []), ...pod.spec.containers];

/**
 * Where a mountPath points on the host. It may start with {{configroot}}, {{logroot}} or
 * {{dataroot}} (or spell out the same absolute directories) and must end up strictly inside one
 * of them.
 */
export function resolveMountPath(mountPath: string, paths: PodPaths, variables: Record<PathVariable, string>): string {
  const expanded = substituteVariables(mountPath, variables);
  const roots = [paths.config, paths.log, paths.data];
  const allowed = '{{configroot}}, {{logroot}} or {{dataroot}}';
  if (!isAbsolute(expanded)) throw failedMount(`mountPath ${JSON.stringify(mountPath)} must start with ${allowed}`);
  const resolved = resolve(expanded);
  const inside = roots.some((root) => {
    const rel = relative(root, resolved);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  });
  if (!inside) {
    throw failedMount(`mountPath ${JSON.stringify(mountPath)} is outside the pod's directories: mount volumes below ${allowed} (a subdirectory, not the root itself)`);
  }
  return resolved;
}

interface PlannedMount { container: string; volume: string; link: string; target: string }

/** Every volumeMount of every container, checked: known volume, allowed path, no clashes. */
export function planMounts(context: Pick<VolumeContext, 'pod' | 'paths' | 'variables'>): PlannedMount[] {
  const { pod, paths, variables } = context;
  const volumes = new Set((pod.spec.volumes ?? []).map((v) => v.name));
  const hostDirectories = hostPathVolumes(pod, variables);
  const planned: PlannedMount[] = [];
  for (const container of allContainers(pod)) {
    for (const mount of container.volumeMounts ?? []) {
      if (!volumes.has(mount.name)) throw failedMount(`container ${container.name} mounts volume ${JSON.stringify(mount.name)}, which the pod does not define`);
      if (mount.subPath) {
        const problem = checkVolumePath(mount.subPath);
        if (problem) throw failedMount(`container ${container.name}, volumeMount ${mount.name}: sub${problem}`);
      }
      const link = resolveMountPath(mount.mountPath, paths, variables);
      const volumeDir = hostDirectories.get(mount.name)?.path ?? join(paths.volumes, mount.name);
      const target = mount.subPath ? join(volumeDir, mount.subPath) : volumeDir;
      const same = planned.find((p) => p.link === link);
      if (same && same.target !== target) {
        throw failedMount(`mountPath ${JSON.stringify(mount.mountPath)} is used for volume ${same.volume} (container ${same.container}) and for volume ${mount.name} (container ${container.name})`);
      }
      const nested = planned.find((p) => p.link !== link && (link.startsWith(`${p.link}/`) || p.link.startsWith(`${link}/`)));
      if (nested) throw failedMount(`mountPath ${JSON.stringify(mount.mountPath)} of container ${container.name} and the mount of volume ${nested.volume} lie inside each other; use separate directories`);
      if (!same) planned.push({ container: container.name, volume: mount.name, link, target });
    }
  }
  return planned;
}

/** The pod's hostPath volumes by name, each checked to lie inside {{volumeroot}}. */
function hostPathVolumes(pod: Pod, variables: Record<PathVariable, string>): Map<string, HostDirectory> {
  const directories = new Map<string, HostDirectory>();
  for (const volume of pod.spec.volumes ?? []) if (volume.hostPath) directories.set(volume.name, resolveHostPath(volume, variables));
  return directories;
}

/**
 * Who owns a hostPath directory the agent creates: the services' user, or else, when the agent
 * runs as root, the one runAsUser (and runAsGroup) of the containers mounting it.
 */
function hostPathOwner(pod: Pod, volume: string, owner: Owner | undefined): Owner | undefined {
  if (owner || process.getuid?.() !== 0) return owner;
  const users = new Set<string>();
  for (const container of allContainers(pod)) {
    if (!container.volumeMounts?.some((m) => m.name === volume)) continue;
    const uid = container.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
    const gid = container.securityContext?.runAsGroup ?? pod.spec.securityContext?.runAsGroup;
    users.add(JSON.stringify([uid ?? 0, gid ?? -1]));
  }
  if (users.size !== 1) return undefined;
  const [uid, gid] = JSON.parse([...users][0]) as [number, number];
  return uid === 0 && gid === -1 ? undefined : { uid, gid };
}

function itemFiles(kind: string, name: string, data: Map<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean): Map<string, VolumeFile> {
  const files = new Map<string, VolumeFile>();
  if (!items) {
    for (const [key, value] of data) files.set(key, { data: value, mode: defaultMode });
    return files;
  }
  for (const item of items) {
    const value = data.get(item.key);
    if (value === undefined) {
      if (optional) continue;
      throw failedMount(`${kind} "${name}" has no key ${JSON.stringify(item.key)} that the volume's items name`);
    }
    files.set(item.path, { data: value, mode: item.mode ?? defaultMode });
  }
  return files;
}

/** The files a volume holds right now; undefined for emptyDir and hostPath (plain directories, never rewritten). */
async function volumeFiles(volume: Volume, context: VolumeContext): Promise<Map<string, VolumeFile> | undefined> {
  const { sources, variables, pod } = context;
  if (volume.csi) {
    if (secretClassOfVolume(volume.csi) === undefined) throw failedMount(`volume ${volume.name}: CSI driver ${JSON.stringify(volume.csi.driver)} is not available on granary nodes (${SECRETS_DRIVER} is)`);
    if (!context.certificates) throw failedMount(`volume ${volume.name}: this node cannot issue certificates`);
    return context.certificates.files(pod, volume, join(context.paths.volumes, volume.name));
  }
  if (volume.configMap) {
    const { name = '', items, defaultMode = 0o644, optional = false } = volume.configMap;
    const configMap = sources.configMap(name);
    if (!configMap) {
      if (optional) return new Map();
      throw failedMount(`volume ${volume.name}: configmap "${name}" not found`);
    }
    const data = new Map<string, Buffer>();
    for (const [key, value] of Object.entries(configMap.data ?? {})) data.set(key, substituteInFile(Buffer.from(value, 'utf8'), variables));
    for (const [key, value] of Object.entries(configMap.binaryData ?? {})) data.set(key, Buffer.from(value, 'base64'));
    return itemFiles('configmap', name, data, items, defaultMode, optional);
  }
  if (volume.secret) {
    const { secretName = '', items, defaultMode = 0o600, optional = false } = volume.secret;
    const secret = sources.secret(secretName);
    if (!secret) {
      if (optional) return new Map();
      throw failedMount(`volume ${volume.name}: secret "${secretName}" not found`);
    }
    const data = new Map<string, Buffer>();
    for (const [key, value] of Object.entries(secret.data ?? {})) data.set(key, substituteInFile(Buffer.from(value, 'base64'), variables));
    for (const [key, value] of Object.entries(secret.stringData ?? {})) data.set(key, substituteInFile(Buffer.from(value, 'utf8'), variables));
    return itemFiles('secret', secretName, data, items, defaultMode, optional);
  }
  if (volume.downwardAPI) {
    const files = new Map<string, VolumeFile>();
    const defaultMode = volume.downwardAPI.defaultMode ?? 0o644;
    for (const item of volume.downwardAPI.items ?? []) {
      const value = item.fieldRef
        ? podField(pod, item.fieldRef, context, true, 'FailedMount')
        : item.resourceFieldRef
          ? resourceField(pod, item.resourceFieldRef, undefined, context, 'FailedMount')
          : undefined;
      if (value === undefined) throw failedMount(`volume ${volume.name}: downwardAPI item ${item.path} needs a fieldRef or a resourceFieldRef`);
      files.set(item.path, { data: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode });
    }
    return files;
  }
  if (volume.emptyDir || volume.hostPath) return undefined;
  throw failedMount(`volume ${volume.name} is of a type granary nodes do not support (configMap, secret, downwardAPI, emptyDir, csi of driver ${SECRETS_DRIVER} and hostPath inside {{volumeroot}} are)`);
}

async function ensureDirectory(path: string, owner: Owner | undefined, mode: number): Promise<void> {
  await mkdir(path, { recursive: true });
  await chmod(path, mode);
  if (owner) await chown(path, owner.uid, owner.gid);
}

/**
 * Writes the pod's directories and volumes and links its mounts. Safe to call again at any time:
 * unchanged volumes are not touched. Returns the names of the volumes whose files changed.
 */
export async function renderVolumes(context: VolumeContext): Promise<string[]> {
  const { pod, paths, owner, variables } = context;
  const mounts = context.inContainers ? [] : planMounts(context);
  if (context.inContainers) for (const container of allContainers(pod)) containerMounts(pod, container, paths, variables);
  // Everything is computed (and every missing source found) before the first write.
  const planned: { volume: Volume; files: Map<string, VolumeFile> | undefined }[] = [];
  for (const volume of pod.spec.volumes ?? []) planned.push({ volume, files: await volumeFiles(volume, context) });
  const hostDirectories = hostPathVolumes(pod, variables);
  for (const [name, dir] of hostDirectories) await checkHostDirectory(name, dir, paths.volumeRoot);

  await ensureDirectory(paths.pod, undefined, 0o755);
  await ensureDirectory(paths.volumes, undefined, 0o755);
  for (const root of [paths.config, paths.log, paths.data]) await ensureDirectory(root, owner, 0o755);
  const changed: string[] = [];
  for (const { volume, files } of planned) {
    const dir = join(paths.volumes, volume.name);
    const hostDirectory = hostDirectories.get(volume.name);
    if (hostDirectory) {
      await ensureHostDirectory(volume.name, hostDirectory, paths.volumeRoot, hostPathOwner(pod, volume.name, owner));
    } else if (!files) {
      // As in Kubernetes, an emptyDir is writable by whoever the services run as.
      await ensureDirectory(dir, owner, owner ? 0o755 : 0o777);
    } else if (await writeVolume(dir, files, owner)) {
      changed.push(volume.name);
    }
  }
  for (const mount of mounts) await linkMount(mount);
  return changed;
}

// Where a container may not have a volume mounted: its root, and the kernel's filesystems.
const RESERVED_MOUNT_PATHS = ['/', '/proc', '/sys', '/dev'];

/**
 * A container's volumeMounts as bind mounts: the volume's directory on the host (or its subPath)
 * at the absolute mountPath inside the container. ConfigMap, Secret and downwardAPI volumes are
 * read-only, as a kubelet mounts them; hostPath volumes stay confined to {{volumeroot}}.
 */
export function containerMounts(pod: Pod, container: Container, paths: PodPaths, variables: Record<PathVariable, string>): ContainerMount[] {
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  const hostDirectories = hostPathVolumes(pod, variables);
  const seen = new Set<string>();
  return (container.volumeMounts ?? []).map((mount) => {
    const volume = volumes.get(mount.name);
    if (!volume) throw failedMount(`container ${container.name} mounts volume ${JSON.stringify(mount.name)}, which the pod does not define`);
    const containerPath = mount.mountPath;
    const normal = posix.normalize(containerPath);
    if (!posix.isAbsolute(containerPath) || containerPath.includes('\0') || containerPath.split('/').includes('..') || RESERVED_MOUNT_PATHS.some((r) => normal === r || (r !== '/' && normal.startsWith(`${r}/`)))) {
      throw failedMount(`container ${container.name}: mountPath ${JSON.stringify(containerPath)} must be an absolute path without "..", and not /, /proc, /sys or /dev`);
    }
    if (seen.has(normal)) throw failedMount(`container ${container.name}: mountPath ${JSON.stringify(containerPath)} is used twice`);
    seen.add(normal);
    if (mount.subPath) {
      const problem = checkVolumePath(mount.subPath);
      if (problem) throw failedMount(`container ${container.name}, volumeMount ${mount.name}: sub${problem}`);
    }
    const volumeDir = hostDirectories.get(mount.name)?.path ?? join(paths.volumes, mount.name);
    const readOnly = mount.readOnly === true || !!(volume.configMap || volume.secret || volume.downwardAPI || volume.csi);
    return { hostPath: mount.subPath ? join(volumeDir, mount.subPath) : volumeDir, containerPath: normal, readOnly };
  });
}

async function linkMount(mount: PlannedMount): Promise<void> {
  const existing = await lstat(mount.link).catch(() => undefined);
  if (existing && !existing.isSymbolicLink()) {
    throw failedMount(`mountPath ${mount.link} of container ${mount.container} already holds a file or directory; the volume cannot be linked there`);
  }
  if (existing && (await readlink(mount.link)) === mount.target) return;
  await mkdir(dirname(mount.link), { recursive: true });
  const temporary = `${mount.link}.granary-link`;
  await rm(temporary, { force: true });
  await symlink(mount.target, temporary);
  await rename(temporary, mount.link);
}

/**
 * Removes everything of the pod's on the host; for after its services have stopped. hostPath
 * directories are not the pod's: only the links to them go.
 */
export async function removePodFiles(paths: PodPaths): Promise<void> {
  await rm(paths.pod, { recursive: true, force: true });
}
