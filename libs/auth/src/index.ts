// Authentication shared by every service: roles, HS256 bearer tokens, OpenID Connect tokens, services' own credentials, principals.
export * from './roles';
export * from './tokens';
export * from './oidc';
export * from './token-verifier';
export * from './service-credentials';
export * from './service-key-verifier';
