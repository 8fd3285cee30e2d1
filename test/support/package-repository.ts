// A package repository on 127.0.0.1 for tests: serves an index.json and archives with Range
// support, records every request, and can be told to misbehave (answer 503, or cut a response
// in the middle) to exercise retries and resumed downloads.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export class TestRepository {
  readonly files = new Map<string, Buffer>();
  readonly requests: { path: string; range?: string }[] = [];
  /** Per path: the next responses to spoil ('cut' sends half and drops the connection). */
  readonly faults = new Map<string, ('cut' | '503')[]>();
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      this.requests.push({ path, range: req.headers.range });
      const body = this.files.get(path);
      const fault = this.faults.get(path)?.shift();
      if (fault === '503') {
        res.writeHead(503).end('try later');
        return;
      }
      if (!body) {
        res.writeHead(404).end('not here');
        return;
      }
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      if (start >= body.length && range) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      const part = body.subarray(start);
      res.writeHead(range ? 206 : 200, {
        'content-length': part.length, 'accept-ranges': 'bytes',
        ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      });
      if (fault === 'cut') {
        res.write(part.subarray(0, Math.floor(part.length / 2)), () => res.destroy());
        return;
      }
      res.end(part);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}/repo`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Publishes `archive` as product:version; `sha` overrides the digest the index claims. */
  publish(product: string, version: string, archive: Buffer, extra: { sha?: string; stripComponents?: number } = {}): void {
    const index = this.files.has('/repo/index.json') ? JSON.parse(this.files.get('/repo/index.json')!.toString()) : { products: {} };
    const path = `archives/${product}-${version}.tar.gz`;
    index.products[product] ??= { versions: {} };
    index.products[product].versions[version] = { archive: path, sha256: extra.sha ?? createHash('sha256').update(archive).digest('hex'), ...(extra.stripComponents ? { stripComponents: extra.stripComponents } : {}) };
    this.files.set('/repo/index.json', Buffer.from(JSON.stringify(index)));
    this.files.set(`/repo/${path}`, archive);
  }

  archiveRequests(product: string): { path: string; range?: string }[] {
    return this.requests.filter((r) => r.path.includes(`/archives/${product}-`));
  }
}
