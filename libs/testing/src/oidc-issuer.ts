/**
 * A stand-in OpenID Connect issuer for tests: a real HTTP server on a free local port serving
 * the discovery document and the JSON Web Key Set of RS256 keys generated at start, a
 * signer for tokens of those keys (or of a key the JWKS does not publish), and a token
 * endpoint that grants client-credentials tokens (client_secret_basic) to registered clients.
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
  /** The token endpoint (client-credentials grant). */
  tokenUrl: string;
  /** Registers an OAuth client: its tokens carry `azp` = its id, `sub` = service-account-<id>, and these claims. */
  addClient(clientId: string, clientSecret: string, claims: JWTPayload, options?: { expiresInSeconds?: number }): void;
  /** How many tokens the token endpoint granted. */
  readonly tokensGranted: number;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const published = await generateKeyPair('RS256');
  const unpublished = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(published.publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  let jwksRequests = 0;
  let tokensGranted = 0;
  let base = '';
  const clients = new Map<string, { secret: string; claims: JWTPayload; expiresInSeconds: number }>();
  const signWith = (claims: JWTPayload, options: { unpublishedKey?: boolean; expiresIn?: string | number } = {}) => {
    const key: KeyLike = options.unpublishedKey ? unpublished.privateKey : published.privateKey;
    return new SignJWT({ iss: `${base}/realms/test`, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: options.unpublishedKey ? 'test-key-2' : 'test-key-1', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '1h')
      .sign(key);
  };
  const grant = async (authorization: string | undefined, body: string): Promise<{ status: number; body: unknown }> => {
    if (new URLSearchParams(body).get('grant_type') !== 'client_credentials')
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    const basic = /^Basic (.+)$/.exec(authorization ?? '')?.[1];
    const [id, secret] = Buffer.from(basic ?? '', 'base64')
      .toString('utf8')
      .split(':')
      .map((part) => decodeURIComponent(part));
    const client = clients.get(id ?? '');
    if (!client || client.secret !== secret)
      return { status: 401, body: { error: 'invalid_client', error_description: 'Invalid client credentials' } };
    tokensGranted++;
    const accessToken = await signWith(
      { sub: `service-account-${id!}`, azp: id, ...client.claims },
      { expiresIn: Math.floor(Date.now() / 1000) + client.expiresInSeconds },
    );
    return { status: 200, body: { access_token: accessToken, token_type: 'Bearer', expires_in: client.expiresInSeconds } };
  };
  const server: Server = createServer((request, response) => {
    if (request.url === '/realms/test/.well-known/openid-configuration') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          issuer: `${base}/realms/test`,
          jwks_uri: `${base}/realms/test/protocol/openid-connect/certs`,
          token_endpoint: `${base}/realms/test/protocol/openid-connect/token`,
        }),
      );
      return;
    }
    if (request.url === '/realms/test/protocol/openid-connect/token' && request.method === 'POST') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void grant(request.headers.authorization, Buffer.concat(chunks).toString('utf8')).then((answer) => {
          response.writeHead(answer.status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(answer.body));
        });
      });
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
    sign: signWith,
    tokenUrl: `${issuer}/protocol/openid-connect/token`,
    addClient(clientId, clientSecret, claims, options = {}) {
      clients.set(clientId, { secret: clientSecret, claims, expiresInSeconds: options.expiresInSeconds ?? 300 });
    },
    get tokensGranted() {
      return tokensGranted;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
