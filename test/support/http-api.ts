// Plain HTTPS requests to an API server, for tests that check exactly what goes over the wire
// (status codes, headers, bodies) rather than what a client library makes of it.
import { request, type Dispatcher } from 'undici';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: any;
  text: string;
  raw: Buffer;
}

export function apiCaller(server: string, dispatcher: Dispatcher) {
  /** One request; a string or Buffer body is sent as is, anything else as JSON. */
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const res = await request(`${server}${path}`, {
      method: method as Dispatcher.HttpMethod, dispatcher,
      body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });
    const raw = Buffer.from(await res.body.arrayBuffer());
    const text = raw.toString('utf8');
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body: parsed, text, raw };
  };

  /** Reads a watch stream's events until `until` says stop (or the stream ends). */
  const watchEvents = async (path: string, until: (events: any[]) => boolean, headers: Record<string, string> = {}) => {
    const controller = new AbortController();
    const res = await request(`${server}${path}`, { dispatcher, signal: controller.signal, headers });
    const events: any[] = [];
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffered.slice(0, nl)));
          buffered = buffered.slice(nl + 1);
        }
        if (until(events)) break;
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      controller.abort();
    }
    return { status: res.statusCode, headers: res.headers, events };
  };

  return { call, watchEvents };
}
