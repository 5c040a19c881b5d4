/** What the console module needs: where the built page is, and the services its page reaches through this one. */
export const CONSOLE_SETTINGS = Symbol('CONSOLE_SETTINGS');

/** The services the page reaches at /console/api/{name}/. */
export const CONSOLE_UPSTREAM_NAMES = ['registry', 'gateway', 'executor'] as const;
export type ConsoleUpstreamName = (typeof CONSOLE_UPSTREAM_NAMES)[number];

export interface ConsoleSettings {
  directory: string;
  upstreams: Record<ConsoleUpstreamName, string>;
  /** Where the services write their OTLP JSON trace files (FLOWLINE_TRACE_FILE), for the job page's trace timeline. */
  traceDirectory?: string;
  /** The trace in the deployment's own trace viewer, `{traceId}` replaced (a link on the job page). */
  traceUrl?: string;
}
