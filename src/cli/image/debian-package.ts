// A Debian package's files without installing it: `apt-get download` then `dpkg-deb -x`. Used
// for programs Granary runs itself but must not install as the package would (Debian's
// docker-registry starts a system service on port 5000 when installed) and for image contents.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Unpacks package `name` (optionally `name=version`) into `dir`; returns the .deb's file name. */
export async function extractDebianPackage(name: string, dir: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9+.-]*(=[A-Za-z0-9.+~:-]+)?$/.test(name)) throw new Error(`${JSON.stringify(name)} is not a Debian package name`);
  const work = await mkdtemp(join(tmpdir(), 'granary-deb-'));
  try {
    try {
      await run('apt-get', ['download', '-q', name], { cwd: work, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
      throw new Error(`apt-get download ${name} failed: ${stderr.split('\n').slice(-2).join(' ')}${/Unable to locate|No packages found|has no installation candidate/.test(stderr) ? ' (run `apt-get update` as root first)' : ''}`);
    }
    const deb = (await readdir(work)).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${name} left no .deb file`);
    // dpkg-deb makes the directory itself, but not its parents.
    await mkdir(dir, { recursive: true });
    await run('dpkg-deb', ['-x', join(work, deb), dir]);
    return deb;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
