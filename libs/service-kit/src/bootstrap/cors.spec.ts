import { describeCors, parseCorsOrigins } from './cors';

describe('CORS_ORIGINS', () => {
  it('reads comma-separated origins, trimmed and in lower case; empty means none', () => {
    expect(parseCorsOrigins(undefined)).toEqual([]);
    expect(parseCorsOrigins(' ')).toEqual([]);
    expect(parseCorsOrigins('http://127.0.0.1:8083, https://Console.Example.com')).toEqual([
      'http://127.0.0.1:8083',
      'https://console.example.com',
    ]);
    expect(parseCorsOrigins('http://[::1]:8083')).toEqual(['http://[::1]:8083']);
    expect(describeCors([])).toContain('CORS_ORIGINS empty');
  });

  it('refuses what is not an origin, naming the entry: paths, wildcards, other schemes', () => {
    for (const wrong of ['*', 'https://console.example.com/', 'console.example.com', 'ftp://x.test', 'https://a.test/path', 'null']) {
      expect(() => parseCorsOrigins(`http://ok.test,${wrong}`)).toThrow(`'${wrong}' is not an origin`);
    }
  });
});
