// Builds .tar.gz archives entry by entry, including entries no well-behaved tool would write
// (paths with "..", links pointing out, device files), to test that they are refused.
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export interface TarEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  body?: string | Buffer;
  linkpath?: string;
  mode?: number;
}

export function buildTarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? 'File';
    const body = type === 'File' ? Buffer.from(entry.body ?? '') : Buffer.alloc(0);
    const header = new Header({
      path: entry.path, type, size: body.length, linkpath: entry.linkpath,
      mode: entry.mode ?? (type === 'Directory' ? 0o755 : 0o644), uid: 1000, gid: 1000, mtime: new Date('2025-01-01T00:00:00Z'),
    });
    const block = Buffer.alloc(512);
    if (header.encode(block, 0)) throw new Error(`test archive entry ${entry.path} needs a pax header; keep test paths short`);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
