import { Script } from 'node:vm';
import { escapeHtml, runnerPage } from './assets/runner-page';
import { RUNNER_SCRIPT } from './assets/runner-script';

describe('the dialog runner page', () => {
  it('names the dialog in the shell escaped, so a crafted name cannot inject markup', () => {
    const html = runnerPage('"><script>alert(1)</script>');
    expect(html).toContain('data-dialog="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"');
    expect(html).not.toContain('<script>alert');
    expect(escapeHtml(`a&b'c`)).toBe('a&#38;b&#39;c');
  });

  it('loads its script and styles from the service, and has a live region for notices', () => {
    const html = runnerPage('customer-survey');
    expect(html).toContain('<script src="/dialogs/assets/runner.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="/dialogs/assets/runner.css">');
    expect(html).toMatch(/<div id="notice" class="notice" role="status" aria-live="polite">/);
    expect(html).toContain('<html lang="en">');
  });

  it('serves a script that is valid JavaScript as browsers parse it', () => {
    expect(() => new Script(RUNNER_SCRIPT, { filename: 'runner.js' })).not.toThrow();
    // No template literal leaked into the string (it is written in plain ES5/2017 strings).
    expect(RUNNER_SCRIPT).not.toContain('${');
  });
});
