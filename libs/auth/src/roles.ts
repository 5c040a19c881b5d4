/** Who may do what: the roles a Flowline token can carry. */
export const Roles = {
  /** Everything, including entity metadata and step registrations. */
  admin: 'admin',
  /** Authors process definitions: save, activate, deactivate, delete, import. */
  author: 'author',
  /** Watches and steers system jobs and dialog sessions of anyone. */
  operator: 'operator',
  /** Another Flowline service or a trusted backend: resolves subscriptions, reads the metadata snapshot. */
  service: 'service',
  /** A person using Flowline: runs dialogs, executes messages on records. */
  user: 'user',
} as const;

export type Role = (typeof Roles)[keyof typeof Roles];

export const ALL_ROLES: readonly Role[] = Object.values(Roles);

export interface Principal {
  /** The user or service id (the token's `sub`). */
  subject: string;
  roles: Role[];
  /** Display name when the token carries one. */
  name?: string;
}

export function hasAnyRole(principal: Principal, allowed: readonly Role[]): boolean {
  return principal.roles.includes(Roles.admin) || principal.roles.some((role) => allowed.includes(role));
}
