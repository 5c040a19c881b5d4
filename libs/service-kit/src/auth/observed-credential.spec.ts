import { Registry } from 'prom-client';
import { generateServiceKey, loadServicePrivateKey, MissingServiceCredential, ServiceKeyCredential } from '@flowline/auth';
import { ObservedCredential } from './observed-credential';

describe('the service credential as clients use it', () => {
  it('counts tokens handed out and failures by kind, in flowline_service_tokens_total', async () => {
    const registry = new Registry();
    const key = await generateServiceKey('event-gateway');
    const working = new ObservedCredential(new ServiceKeyCredential(loadServicePrivateKey(JSON.stringify(key.privateJwk))), registry);
    const missing = new ObservedCredential(new MissingServiceCredential(), registry);
    await working.token();
    await working.token();
    await expect(missing.token()).rejects.toThrow('this service has no credential for calling other services');
    const text = await registry.metrics();
    expect(text).toContain('flowline_service_tokens_total{kind="service-key",outcome="ok"} 2');
    expect(text).toContain('flowline_service_tokens_total{kind="none",outcome="failed"} 1');
    expect(working.kind).toBe('service-key');
  });
});
