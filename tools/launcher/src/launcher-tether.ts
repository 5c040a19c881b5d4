/**
 * Preloaded (`node -r`) into every service the launcher starts, so a service ends with its
 * launcher however the launcher ends (Ctrl-C, crash, SIGKILL): Node has no parent-death signal.
 *
 * The launcher passes the read end of a pipe as file descriptor FLOWLINE_LAUNCHER_FD; only the
 * launcher holds the write end and never writes to it. When the launcher's process ends, the
 * kernel closes that end and this side reads end-of-file: the service then shuts down as on
 * SIGTERM (readiness 503, work finished, connections closed) and exits at the latest after its
 * grace period. A service started without the variable (on its own, under a supervisor) is
 * untouched.
 */
import { Socket } from 'node:net';

const FD_VARIABLE = 'FLOWLINE_LAUNCHER_FD';

function watchLauncher(): void {
  const fd = Number(process.env[FD_VARIABLE]);
  if (!Number.isInteger(fd) || fd < 3) return;
  // Not for anything this service might start itself.
  delete process.env[FD_VARIABLE];
  const graceMs = Number(process.env['SHUTDOWN_GRACE_MS']) || 15_000;
  let pipe: Socket;
  try {
    pipe = new Socket({ fd, readable: true, writable: false });
  } catch {
    return;
  }
  let gone = false;
  const onLauncherGone = () => {
    if (gone) return;
    gone = true;
    // stdout and stderr led to the launcher: writing there now fails, which must not crash the shutdown.
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
    setTimeout(() => process.exit(1), graceMs + 5_000).unref();
    process.kill(process.pid, 'SIGTERM');
  };
  pipe.on('end', onLauncherGone);
  pipe.on('close', onLauncherGone);
  pipe.on('error', onLauncherGone);
  pipe.resume();
  // Watching must not keep the service alive.
  pipe.unref();
}

watchLauncher();
