/**
 * A local HTTP service that workflows' `http` custom activities call in tests. Each request is
 * recorded with its time; the answer for a key (the last path segment) can be a status code or
 * a hold that lasts until the test releases it, so a test decides when a step ends.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ActivityRequest {
  path: string;
  key: string;
  at: number;
  idempotencyKey: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** Filled in when the whole body has arrived. */
  body: string;
}

export class ActivityServer {
  readonly requests: ActivityRequest[] = [];
  private readonly answers = new Map<string, number | 'hold'>();
  private readonly turns = new Map<string, number[]>();
  private readonly held = new Map<string, Array<() => void>>();
  private server: Server | undefined;
  url = '';
  /** How long every answer that is not held takes, so runs are caught in flight. */
  delayMs = 0;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const path = request.url ?? '/';
      const key = decodeURIComponent(path.split('/').pop() ?? '');
      const header = request.headers['idempotency-key'];
      const recorded: ActivityRequest = {
        path,
        key,
        at: Date.now(),
        idempotencyKey: Array.isArray(header) ? header[0] : header,
        headers: request.headers,
        body: '',
      };
      this.requests.push(recorded);
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (recorded.body += chunk));
      const answer = (status: number) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ key, status }));
      };
      const planned = this.turns.get(key)?.shift() ?? this.answers.get(key) ?? 200;
      if (planned === 'hold') {
        const waiting = this.held.get(key) ?? [];
        waiting.push(() => answer(200));
        this.held.set(key, waiting);
      } else if (this.delayMs > 0) setTimeout(() => answer(planned), this.delayMs);
      else answer(planned);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** How requests for this key are answered from now on. */
  answer(key: string, how: number | 'hold'): void {
    this.answers.set(key, how);
  }

  /** The next requests for this key get these status codes, one each, in turn; later ones as before. */
  answerInTurn(key: string, statuses: number[]): void {
    this.turns.set(key, [...statuses]);
  }

  /** Answers the held requests for this key (200) and stops holding new ones. */
  release(key: string): void {
    this.answers.delete(key);
    for (const respond of this.held.get(key) ?? []) respond();
    this.held.delete(key);
  }

  /** Releases every key held (a failed test must not leave its runs holding the next test's slots). */
  releaseAll(): void {
    for (const key of new Set([...this.held.keys(), ...[...this.answers].filter(([, how]) => how === 'hold').map(([key]) => key)]))
      this.release(key);
  }

  requestsFor(key: string): ActivityRequest[] {
    return this.requests.filter((request) => request.key === key);
  }

  async stop(): Promise<void> {
    this.releaseAll();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
