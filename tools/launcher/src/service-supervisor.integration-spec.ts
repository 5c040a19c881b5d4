import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntilReady, type SupervisedService } from './service-supervisor';

/** A stand-in for a service's HTTP port that answers /health/ready as a Flowline service does, with the pid it is told. */
async function readinessServer(answer: { status: number; pid?: number }): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ status: answer.status === 200 ? 'ok' : 'unavailable', service: 'event-gateway', pid: answer.pid, checks: {} }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function childAt(url: string, pid: number): SupervisedService {
  return { plan: { label: 'event-gateway' }, child: { pid }, httpUrl: url, exitCode: undefined } as unknown as SupervisedService;
}

describe('waiting for a service to be ready', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((server) => server.close()));

  it('accepts the answer of its own child', async () => {
    const { server, url } = await readinessServer({ status: 200, pid: 4242 });
    servers.push(server);
    await expect(waitUntilReady(childAt(url, 4242), 10_000)).resolves.toBeUndefined();
  });

  it('refuses a ready answer from another process on the port, naming both pids', async () => {
    const { server, url } = await readinessServer({ status: 200, pid: 999 });
    servers.push(server);
    await expect(waitUntilReady(childAt(url, 4242), 10_000)).rejects.toThrow(
      `${url}/health/ready is answered by pid 999, not by the event-gateway this launcher started (pid 4242): another process holds the port`,
    );
  });

  it('refuses an answer without a pid (not a service of this launcher)', async () => {
    const { server, url } = await readinessServer({ status: 200 });
    servers.push(server);
    await expect(waitUntilReady(childAt(url, 4242), 10_000)).rejects.toThrow('is answered by another program');
  });

  it('stops waiting when the start-up is interrupted', async () => {
    const { server, url } = await readinessServer({ status: 503, pid: 4242 });
    servers.push(server);
    const abort = new AbortController();
    const waiting = waitUntilReady(childAt(url, 4242), 60_000, abort.signal);
    abort.abort(new Error('interrupted by SIGINT'));
    await expect(waiting).rejects.toThrow('interrupted by SIGINT');
  });
});
