/** What the console module needs: where the built page is, and the services its page reaches through this one. */
export const CONSOLE_SETTINGS = Symbol('CONSOLE_SETTINGS');

/** The services the page reaches at /console/api/{name}/. */
export const CONSOLE_UPSTREAM_NAMES = ['registry', 'gateway', 'executor'] as const;
export type ConsoleUpstreamName = (typeof CONSOLE_UPSTREAM_NAMES)[number];

export interface ConsoleSettings {
  directory: string;
  upstreams: Record<ConsoleUpstreamName, string>;
}
