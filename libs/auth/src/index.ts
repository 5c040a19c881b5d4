// Authentication shared by every service: roles, HS256 bearer tokens, principals.
export * from './roles';
export * from './tokens';
