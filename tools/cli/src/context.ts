/** What every command's action gets: the resolved configuration, connections and output. */
import type { Command } from 'commander';
import { Connections } from './clients';
import { resolveConfig, type CliConfig, type GlobalOptions } from './config';
import { createOutput, type Output } from './output';

export interface Context {
  config: CliConfig;
  conn: Connections;
  out: Output;
}

export type Action<A extends unknown[]> = (context: Context, ...args: A) => Promise<void>;

/** Wraps an action: builds its context from the global options and closes connections after. */
export function withContext<A extends unknown[]>(action: Action<A>): (...args: [...A, Command]) => Promise<void> {
  return async (...args) => {
    const command = args[args.length - 1] as Command;
    const config = resolveConfig(command.optsWithGlobals<GlobalOptions>());
    const conn = new Connections(config);
    try {
      await action({ config, conn, out: createOutput(config.json) }, ...(args.slice(0, -1) as A));
    } finally {
      conn.close();
    }
  };
}

