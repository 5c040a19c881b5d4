/**
 * Services' own keys: what a service signs with its key is verified against the trusted public
 * keys and yields the role `service` only; foreign keys, forged claims, another service's
 * subject and HS256 without a configured secret are refused.
 */
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { Roles } from './roles';
import {
  generateServiceKey,
  loadServicePrivateKey,
  SERVICE_TOKEN_ISSUER,
  ServiceKeyCredential,
  SharedSecretCredential,
} from './service-credentials';
import { parseServiceKeySet } from './service-key-verifier';
import { TokenVerifier } from './token-verifier';
import { signToken } from './tokens';

const secret = 'a-development-secret-0123456789';

describe('service keys', () => {
  let gateway: { privateJwk: JWK; publicJwk: JWK };
  let executor: { privateJwk: JWK; publicJwk: JWK };
  let verifier: TokenVerifier;
  beforeAll(async () => {
    gateway = await generateServiceKey('event-gateway');
    executor = await generateServiceKey('async-executor');
    verifier = new TokenVerifier({ serviceKeys: { keys: [gateway.publicJwk, executor.publicJwk] } });
  });

  /** A token signed with a service's private key, with the claims and header an attacker chooses. */
  const signed = async (privateJwk: JWK, claims: Record<string, unknown>, header: { kid?: string } = {}, lifetime = 300) => {
    const key = loadServicePrivateKey(JSON.stringify(privateJwk));
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.algorithm, kid: header.kid ?? key.keyId })
      .setIssuer(SERVICE_TOKEN_ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(now + lifetime)
      .sign(key.key);
  };

  it("a service's own credential yields its name and the role service", async () => {
    const credential = new ServiceKeyCredential(loadServicePrivateKey(JSON.stringify(gateway.privateJwk)));
    await expect(verifier.verify(await credential.token())).resolves.toEqual({ subject: 'event-gateway', roles: [Roles.service] });
  });

  it('a service key cannot pass as admin or operator: claimed roles are dropped, only service is left', async () => {
    const token = await signed(gateway.privateJwk, { sub: 'event-gateway', roles: [Roles.admin, Roles.operator] });
    await expect(verifier.verify(token)).resolves.toEqual({ subject: 'event-gateway', roles: [Roles.service] });
  });

  it("refuses a token one service signs in another's name", async () => {
    const asExecutor = await signed(gateway.privateJwk, { sub: 'async-executor' });
    await expect(verifier.verify(asExecutor)).rejects.toThrow(
      "the service token's subject 'async-executor' is not the service its key belongs to ('event-gateway')",
    );
    // Naming the other service's key id does not help: the signature is checked against that key.
    const otherKid = await signed(gateway.privateJwk, { sub: 'async-executor' }, { kid: 'async-executor' });
    await expect(verifier.verify(otherKid)).rejects.toThrow("the service token signature is not valid for the key of 'async-executor'");
  });

  it('refuses a token of a foreign key, with or without a trusted key id', async () => {
    const foreign = await generateServiceKey('event-gateway');
    await expect(verifier.verify(await signed(foreign.privateJwk, { sub: 'event-gateway' }))).rejects.toThrow(
      'the service token signature is not valid',
    );
    const stranger = await generateServiceKey('mallory');
    await expect(verifier.verify(await signed(stranger.privateJwk, { sub: 'mallory' }))).rejects.toThrow(
      "signed with a key this installation does not trust (kid 'mallory')",
    );
  });

  it('refuses a service token that asks for a long life', async () => {
    const token = await signed(gateway.privateJwk, { sub: 'event-gateway' }, {}, 24 * 3600);
    await expect(verifier.verify(token)).rejects.toThrow('a service token may live at most 3600 s');
  });

  it('without AUTH_JWT_SECRET, refuses every HS256 token, even one of the service role', async () => {
    const hs256 = signToken(secret, { subject: 'event-gateway', roles: [Roles.service] });
    await expect(verifier.verify(hs256)).rejects.toThrow('HS256 tokens of a shared secret are not accepted here');
    const admin = signToken(secret, { subject: 'launcher', roles: [Roles.admin] });
    await expect(verifier.verify(admin)).rejects.toThrow('HS256 tokens of a shared secret are not accepted here');
  });

  it('with service keys and a development secret (the launcher), HS256 tokens are still taken, AUTH_HS256_ROLES caps them', async () => {
    const both = new TokenVerifier({ secret, serviceKeys: { keys: [gateway.publicJwk] } });
    await expect(both.verify(await new SharedSecretCredential(secret, 'session-service').token())).resolves.toEqual({
      subject: 'session-service',
      roles: [Roles.service],
    });
    await expect(both.verify(signToken(secret, { subject: 'admin', roles: [Roles.admin] }))).resolves.toMatchObject({ roles: ['admin'] });
    const capped = new TokenVerifier({ secret, hs256Roles: [Roles.service], serviceKeys: { keys: [gateway.publicJwk] } });
    await expect(capped.verify(signToken(secret, { subject: 'x', roles: [Roles.admin] }))).rejects.toThrow(
      'may carry only the role service here (AUTH_HS256_ROLES)',
    );
  });

  it('reads a PKCS#8 PEM key (ECDSA P-256) with its key id, and refuses RSA', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const loaded = loadServicePrivateKey(ec.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'session-service');
    expect(loaded).toMatchObject({ keyId: 'session-service', algorithm: 'ES256' });
    const publicJwk = { ...(await exportJWK(ec.publicKey)), kid: 'session-service', alg: 'ES256' };
    const token = await new ServiceKeyCredential(loaded).token();
    await expect(new TokenVerifier({ serviceKeys: { keys: [publicJwk] } }).verify(token)).resolves.toMatchObject({
      subject: 'session-service',
      roles: ['service'],
    });
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const rsaJwk = { ...(await exportJWK(rsa.privateKey)), kid: 'x' };
    expect(() => loadServicePrivateKey(JSON.stringify(rsaJwk))).toThrow(
      'a service key must be Ed25519 or ECDSA P-256 / P-384; this one is rsa',
    );
  });

  it('refuses a key set holding a private key or a key without kid', () => {
    expect(() => parseServiceKeySet(JSON.stringify({ keys: [gateway.privateJwk] }))).toThrow(
      'keys[0] (event-gateway) is a private key: publish only the public part',
    );
    const { kid: _kid, ...anonymous } = gateway.publicJwk;
    expect(() => parseServiceKeySet(JSON.stringify({ keys: [anonymous] }))).toThrow("keys[0] has no kid (the service's name)");
    expect(() => parseServiceKeySet(JSON.stringify({ keys: [gateway.publicJwk, gateway.publicJwk] }))).toThrow(
      "keys[1] repeats the kid 'event-gateway': one key per service",
    );
  });

  it('renews its token only when less than a minute is left', async () => {
    let now = Date.now();
    const credential = new ServiceKeyCredential(loadServicePrivateKey(JSON.stringify(gateway.privateJwk)), () => now);
    const first = await credential.token();
    now += 200_000;
    expect(await credential.token()).toBe(first);
    now += 60_000;
    expect(await credential.token()).not.toBe(first);
  });
});
