'use strict';
/**
 * Runs the embedded PostgreSQL server as its child and stops it when the process that started
 * this guard ends, however it ends (exit, crash, SIGKILL). A server whose starter was killed
 * would otherwise run on, orphaned, holding its port and data folder.
 *
 *   node postgres-guard.js <uid|-> <gid|-> <postgres binary> <server arguments...>
 *
 * - stdin is a pipe whose other end only the starting process holds: end of file means the
 *   starter is gone, and the guard stops the server with a fast shutdown (SIGINT), then an
 *   immediate one (SIGQUIT) after 10 s, then SIGKILL after 20 s.
 * - SIGINT and SIGTERM to the guard ask for a fast shutdown, SIGQUIT for an immediate one.
 * - The server inherits the guard's stderr (its log goes where the guard's goes); the guard
 *   prints the server's pid as the first line of its stdout.
 * - The guard exits when the server has exited, with its exit code.
 *
 * Plain JavaScript with no dependencies on purpose: it must start at once, stay small while the
 * server runs, and work without the repository's TypeScript compiler.
 */
const { spawn } = require('node:child_process');

const [uid, gid, command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: node postgres-guard.js <uid|-> <gid|-> <postgres> <arguments...>\n');
  process.exit(64);
}
const ids = {};
if (uid !== '-') ids.uid = Number(uid);
if (gid !== '-') ids.gid = Number(gid);

const server = spawn(command, args, { ...ids, stdio: ['ignore', 'ignore', 'inherit'], env: process.env });
let fastRequested = false;
let timers = [];

function fast() {
  if (fastRequested) return;
  fastRequested = true;
  send('SIGINT');
  timers.push(setTimeout(() => send('SIGQUIT'), 10_000));
  timers.push(setTimeout(() => send('SIGKILL'), 20_000));
}

function send(signal) {
  try {
    server.kill(signal);
  } catch {
    // Already gone.
  }
}

server.once('spawn', () => {
  try {
    process.stdout.write(`${server.pid}\n`);
  } catch {
    // The starter is already gone; stdin's end stops the server.
  }
});
server.once('error', (error) => {
  process.stderr.write(`postgres-guard: could not start ${command}: ${error.message}\n`);
  process.exit(1);
});
server.once('exit', (code, signal) => {
  for (const timer of timers) clearTimeout(timer);
  process.exit(code ?? (signal ? 1 : 0));
});

process.stdout.on('error', () => undefined);
process.stdin.on('end', fast);
process.stdin.on('close', fast);
process.stdin.on('error', fast);
process.stdin.resume();
process.on('SIGINT', fast);
process.on('SIGTERM', fast);
process.on('SIGQUIT', () => send('SIGQUIT'));
process.on('SIGHUP', fast);
