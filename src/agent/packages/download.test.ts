import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { downloadVerified, fetchText } from './download.ts';

const FAST = { attempts: 3, baseDelayMs: 10, maxDelayMs: 20, stallTimeoutMs: 2000 };

/** Serves `body` with Range support and records the Range headers it was asked for. */
async function serve(t: { after(fn: () => Promise<void> | void): void }, body: () => Buffer, statuses: number[] = []) {
  const ranges: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    ranges.push(req.headers.range);
    const forced = statuses.shift();
    if (forced) {
      res.writeHead(forced).end();
      return;
    }
    const data = body();
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.writeHead(start ? 206 : 200, { 'content-length': data.length - start, ...(start ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}) });
    res.end(data.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const dir = mkdtempSync(join(tmpdir(), 'granary-download-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/file`, ranges, dir };
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

test('resumes a partial file with a Range request', async (t) => {
  const data = randomBytes(10_000);
  const { url, ranges, dir } = await serve(t, () => data);
  const target = join(dir, 'file');
  writeFileSync(`${target}.partial`, data.subarray(0, 4000));
  await downloadVerified(url, target, sha(data), FAST);
  assert.deepEqual(ranges, ['bytes=4000-']);
  assert.deepEqual(readFileSync(target), data);
  assert.equal(existsSync(`${target}.partial`), false);
});

test('a resumed file that does not verify is fetched once more from scratch', async (t) => {
  const data = randomBytes(10_000);
  const { url, ranges, dir } = await serve(t, () => data);
  const target = join(dir, 'file');
  writeFileSync(`${target}.partial`, randomBytes(4000));
  await downloadVerified(url, target, sha(data), FAST);
  assert.deepEqual(ranges, ['bytes=4000-', undefined]);
  assert.deepEqual(readFileSync(target), data);
});

test('a whole download that does not verify is refused and discarded', async (t) => {
  const { url, ranges, dir } = await serve(t, () => Buffer.from('tampered'));
  const target = join(dir, 'file');
  await assert.rejects(downloadVerified(url, target, 'f'.repeat(64), FAST), { reason: 'DigestMismatch' });
  assert.equal(ranges.length, 1);
  assert.equal(existsSync(target), false);
  assert.equal(existsSync(`${target}.partial`), false);
});

test('server errors are retried; client errors and exhausted retries are RepositoryUnavailable', async (t) => {
  const { url, ranges } = await serve(t, () => Buffer.from('index'), [503, 502]);
  assert.equal(await fetchText(url, FAST), 'index');
  assert.equal(ranges.length, 3);
  const failing = await serve(t, () => Buffer.from(''), [500, 500, 500]);
  await assert.rejects(fetchText(failing.url, FAST), (err: Error & { reason: string }) => err.reason === 'RepositoryUnavailable' && /failed 3 times, last: .*HTTP 500/.test(err.message));
  const forbidden = await serve(t, () => Buffer.from(''), [403]);
  await assert.rejects(fetchText(forbidden.url, FAST), /HTTP 403; check the repository/);
  assert.equal(forbidden.ranges.length, 1, '4xx is not retried');
});
