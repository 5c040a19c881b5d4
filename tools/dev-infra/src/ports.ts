/** Finding free TCP ports on the loopback interface for embedded infrastructure and services under test. */
import { mkdirSync, openSync, closeSync, statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * Ports are drawn at random below Linux's ephemeral range (32768-60999 by default): a port
 * the kernel hands to outgoing connections (to PostgreSQL, Kafka, gRPC peers) can be taken
 * between the moment it was found free and the moment a service binds it, which made tests
 * fail with EADDRINUSE now and then. Random choice also keeps parallel test runs apart.
 */
const LOW = 20_000;
const HIGH = 32_000;

/**
 * Test processes run side by side (Nx runs two projects at once) and may hand out a port minutes
 * before a service binds it. A port handed out is claimed with a file for ten minutes, so no
 * other process on the machine hands it out meanwhile.
 */
const CLAIMS = path.join(tmpdir(), 'flowline-port-claims');
const CLAIM_MS = 10 * 60_000;

function claim(port: number): boolean {
  mkdirSync(CLAIMS, { recursive: true });
  const file = path.join(CLAIMS, String(port));
  try {
    closeSync(openSync(file, 'wx'));
    return true;
  } catch {
    try {
      if (Date.now() - statSync(file).mtimeMs < CLAIM_MS) return false;
      const now = new Date();
      utimesSync(file, now, now);
      return true;
    } catch {
      return false;
    }
  }
}

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (claim(port) && (await tryListen(port))) return port;
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH} after 100 tries`);
}

/**
 * A base port with `count` ports `step` apart (base, base + step, ...) all free and claimed: for
 * replicas that the launcher places a fixed step above the first one's ports.
 */
export async function freePortSeries(count: number, step: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = LOW + Math.floor(Math.random() * (HIGH - LOW - count * step));
    const series = Array.from({ length: count }, (_, k) => base + k * step);
    const claimed: number[] = [];
    for (const port of series) {
      if (!claim(port) || !(await tryListen(port))) break;
      claimed.push(port);
    }
    if (claimed.length === count) return base;
  }
  throw new Error(`no free series of ${count} ports ${step} apart found after 100 tries`);
}

/** True when something already listens on host:port. */
export function isPortTaken(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}
