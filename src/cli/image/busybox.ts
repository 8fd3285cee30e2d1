// The smallest useful image, from Debian's busybox-static: one static binary with its applets
// (sh, sleep, id, ...) as links, and a passwd file with root and nobody. Granary's pause image
// (the process that holds a pod sandbox, `sleep` forever) and a shell for tests.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { extractDebianPackage } from './debian-package.ts';

const run = promisify(execFile);

/** Writes the root filesystem tarball to `tarFile`; returns the .deb it came from. */
export async function buildBusyboxRootfs(tarFile: string): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'granary-busybox-'));
  try {
    const extracted = join(work, 'deb');
    const deb = await extractDebianPackage('busybox-static', extracted);
    const root = join(work, 'root');
    await mkdir(join(root, 'bin'), { recursive: true });
    await rename(join(extracted, 'bin', 'busybox'), join(root, 'bin', 'busybox'));
    const applets = (await run(join(root, 'bin', 'busybox'), ['--list'])).stdout.split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
    for (const applet of applets) await symlink('busybox', join(root, 'bin', applet));
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    await writeFile(join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    for (const dir of ['tmp', 'root', 'proc', 'sys', 'dev', 'run']) await mkdir(join(root, dir), { recursive: true });
    await chmod(join(root, 'tmp'), 0o1777);
    await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@0', '-C', root, '-cf', tarFile, '.']);
    return deb;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
