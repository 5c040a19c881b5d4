/**
 * The token verifier against a real local OpenID Connect issuer (HTTP, RS256 keys generated
 * by the test): JWKS and discovery, issuer, audience, expiry, unknown keys, role claims and
 * maps, and HS256 tokens restricted to the service role when an issuer is configured.
 */
import { startTestIssuer, type TestIssuer } from '@flowline/testing';
import { TokenIssuerUnavailable } from './oidc';
import { ClientCredentialsCredential } from './service-credentials';
import { Roles } from './roles';
import { TokenVerifier } from './token-verifier';
import { signToken, TokenError } from './tokens';

const secret = 'a-development-secret-0123456789';

describe('TokenVerifier with an OpenID Connect issuer', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(async () => {
    await issuer.close();
  });

  const verifier = (extra: Partial<NonNullable<ConstructorParameters<typeof TokenVerifier>[0]['oidc']>> = {}) =>
    new TokenVerifier({ secret, oidc: { issuer: issuer.issuer, audience: 'flowline', jwksUrl: issuer.jwksUrl, ...extra } });

  it('accepts an RS256 token of the issuer for the audience, with its roles, subject and name', async () => {
    const token = await issuer.sign({ sub: 'ada', aud: 'flowline', roles: ['author', 'offline_access'], name: 'Ada Lovelace' });
    await expect(verifier().verify(token)).resolves.toEqual({ subject: 'ada', roles: ['author'], name: 'Ada Lovelace' });
  });

  it('finds the JWKS through the discovery document when AUTH_JWKS_URL is not set', async () => {
    const token = await issuer.sign({ sub: 'ada', aud: 'flowline', roles: ['user'] });
    const discovering = new TokenVerifier({ secret, oidc: { issuer: issuer.issuer, audience: 'flowline' } });
    await expect(discovering.verify(token)).resolves.toMatchObject({ subject: 'ada', roles: ['user'] });
  });

  it('reads roles from a nested claim and maps issuer role names to Flowline roles', async () => {
    const token = await issuer.sign({ sub: 'olga', aud: 'flowline', realm_access: { roles: ['flowline-ops', 'uma_authorization'] } });
    const mapped = verifier({ rolesClaim: 'realm_access.roles', roleMap: { 'flowline-ops': Roles.operator } });
    await expect(mapped.verify(token)).resolves.toMatchObject({ subject: 'olga', roles: ['operator'] });
  });

  it('refuses a token for another audience, naming the audience expected', async () => {
    const token = await issuer.sign({ sub: 'ada', aud: 'another-app', roles: ['admin'] });
    await expect(verifier().verify(token)).rejects.toThrow("the bearer token is not for the audience 'flowline'");
  });

  it('refuses a token of another issuer', async () => {
    const token = await issuer.sign({ sub: 'ada', aud: 'flowline', roles: ['admin'], iss: 'https://elsewhere.example.com' });
    await expect(verifier().verify(token)).rejects.toThrow(`the bearer token was not issued by ${issuer.issuer}`);
  });

  it('refuses an expired token, telling the caller to get a new one', async () => {
    const token = await issuer.sign({ sub: 'ada', aud: 'flowline', roles: ['user'] }, { expiresIn: Math.floor(Date.now() / 1000) - 120 });
    await expect(verifier().verify(token)).rejects.toThrow('the bearer token has expired: get a new one');
  });

  it('refuses a token signed with a key the JWKS does not publish', async () => {
    const token = await issuer.sign({ sub: 'mallory', aud: 'flowline', roles: ['admin'] }, { unpublishedKey: true });
    await expect(verifier().verify(token)).rejects.toThrow("signed with a key the issuer's JWKS does not hold");
  });

  it('refuses a token that carries no Flowline role, saying how to map one', async () => {
    const token = await issuer.sign({ sub: 'ada', aud: 'flowline', roles: ['offline_access'] });
    await expect(verifier().verify(token)).rejects.toThrow(
      "the bearer token carries no Flowline role in its 'roles' claim (it has offline_access): give the caller a role, or map one with AUTH_OIDC_ROLE_MAP",
    );
  });

  it('refuses alg none and a tampered payload', async () => {
    const token = await issuer.sign({ sub: 'bob', aud: 'flowline', roles: ['user'] });
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ iss: issuer.issuer, aud: 'flowline', sub: 'bob', roles: ['admin'], exp: 9999999999 }),
    ).toString('base64url');
    await expect(verifier().verify(`${header}.${forged}.${signature}`)).rejects.toThrow(TokenError);
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    await expect(verifier().verify(`${none}.${forged}.`)).rejects.toThrow(TokenError);
  });

  it('with an issuer, takes HS256 tokens of the service role only: the shared secret cannot mint an admin', async () => {
    const service = signToken(secret, { subject: 'session-service', roles: [Roles.service] });
    await expect(verifier().verify(service)).resolves.toMatchObject({ subject: 'session-service', roles: ['service'] });
    const admin = signToken(secret, { subject: 'launcher', roles: [Roles.admin] });
    await expect(verifier().verify(admin)).rejects.toThrow(
      `a token signed with AUTH_JWT_SECRET may carry only the role service here (AUTH_HS256_ROLES); this one has admin: sign in through ${issuer.issuer}`,
    );
  });

  it('without an issuer, takes HS256 tokens of every role (the development launcher)', async () => {
    const admin = signToken(secret, { subject: 'launcher', roles: [Roles.admin] });
    await expect(new TokenVerifier({ secret }).verify(admin)).resolves.toMatchObject({ roles: ['admin'] });
  });

  it('reports an issuer whose keys cannot be fetched as unavailable, not as a bad token', async () => {
    const token = await issuer.sign({ sub: 'ada', aud: 'flowline', roles: ['user'] });
    const unreachable = verifier({ jwksUrl: 'http://127.0.0.1:9/certs' });
    await expect(unreachable.verify(token)).rejects.toThrow(TokenIssuerUnavailable);
  });

  describe('services as OAuth clients of the issuer (client-credentials grant)', () => {
    const serviceClients = ['flowline-gateway'];
    it('gets a token from the token endpoint found by discovery, keeps it, and it verifies as the service role', async () => {
      issuer.addClient('flowline-gateway', 'gateway-secret/with:odd chars', { aud: 'flowline', roles: ['service'] });
      const credential = new ClientCredentialsCredential({
        issuer: issuer.issuer,
        clientId: 'flowline-gateway',
        clientSecret: 'gateway-secret/with:odd chars',
      });
      const before = issuer.tokensGranted;
      const token = await credential.token();
      expect(await credential.token()).toBe(token);
      expect(issuer.tokensGranted - before).toBe(1);
      await expect(verifier({ serviceClients }).verify(token)).resolves.toMatchObject({
        subject: 'service-account-flowline-gateway',
        roles: ['service'],
      });
    });

    it("a service client cannot pass as admin or operator, even when the issuer's role mapping gives it those roles", async () => {
      issuer.addClient('flowline-gateway', 'gateway-secret', { aud: 'flowline', roles: ['admin', 'operator'] });
      const token = await new ClientCredentialsCredential({
        tokenUrl: issuer.tokenUrl,
        clientId: 'flowline-gateway',
        clientSecret: 'gateway-secret',
      }).token();
      await expect(verifier({ serviceClients }).verify(token)).resolves.toMatchObject({ roles: ['service'] });
    });

    it('renews the token before it expires', async () => {
      issuer.addClient('flowline-executor', 'executor-secret', { aud: 'flowline', roles: ['service'] }, { expiresInSeconds: 60 });
      let now = Date.now();
      const credential = new ClientCredentialsCredential(
        { tokenUrl: issuer.tokenUrl, clientId: 'flowline-executor', clientSecret: 'executor-secret' },
        () => now,
      );
      await credential.token();
      now += 20_000;
      await credential.token();
      expect(credential.fetched).toBe(1);
      now += 15_000; // 25 s left: less than the 30 s margin
      await credential.token();
      expect(credential.fetched).toBe(2);
    });

    it('a wrong client secret is refused naming the settings; an unreachable endpoint is unavailable', async () => {
      issuer.addClient('flowline-session', 'right', { aud: 'flowline', roles: ['service'] });
      const wrong = new ClientCredentialsCredential({ tokenUrl: issuer.tokenUrl, clientId: 'flowline-session', clientSecret: 'wrong' });
      await expect(wrong.token()).rejects.toThrow(
        /refused client 'flowline-session' \(HTTP 401, invalid_client: Invalid client credentials\): check SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET/,
      );
      await expect(wrong.token()).rejects.toThrow(TokenError);
      const away = new ClientCredentialsCredential({ tokenUrl: 'http://127.0.0.1:9/token', clientId: 'x', clientSecret: 'y' });
      await expect(away.token()).rejects.toThrow(TokenIssuerUnavailable);
    });
  });
});
