/**
 * A stand-in OpenID Connect issuer for tests: a real HTTP server on a free local port serving
 * the discovery document and the JSON Web Key Set of RS256 keys generated at start, and a
 * signer for tokens of those keys (or of a key the JWKS does not publish).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';

export interface TestIssuer {
  /** The issuer URL (`iss`), http://127.0.0.1:<port>/realms/test. */
  issuer: string;
  jwksUrl: string;
  /** How many times the JWKS was fetched. */
  readonly jwksRequests: number;
  /** A token of the published key (or of an unpublished one), valid for an hour unless the claims say otherwise. */
  sign(claims: JWTPayload, options?: { unpublishedKey?: boolean; expiresIn?: string | number }): Promise<string>;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const published = await generateKeyPair('RS256');
  const unpublished = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(published.publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  let jwksRequests = 0;
  let base = '';
  const server: Server = createServer((request, response) => {
    if (request.url === '/realms/test/.well-known/openid-configuration') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ issuer: `${base}/realms/test`, jwks_uri: `${base}/realms/test/protocol/openid-connect/certs` }));
      return;
    }
    if (request.url === '/realms/test/protocol/openid-connect/certs') {
      jwksRequests++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/realms/test`;
  return {
    issuer,
    jwksUrl: `${issuer}/protocol/openid-connect/certs`,
    get jwksRequests() {
      return jwksRequests;
    },
    sign(claims, options = {}) {
      const key: KeyLike = options.unpublishedKey ? unpublished.privateKey : published.privateKey;
      return new SignJWT({ iss: issuer, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: options.unpublishedKey ? 'test-key-2' : 'test-key-1', typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '1h')
        .sign(key);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
