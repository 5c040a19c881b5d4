// Authentication shared by every service: roles, HS256 bearer tokens, OpenID Connect tokens, principals.
export * from './roles';
export * from './tokens';
export * from './oidc';
export * from './token-verifier';
