/** The dialog runner's styles: plain, readable, large targets, visible focus, one column that fits a phone. */
export const RUNNER_STYLES = `
*, *::before, *::after { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 100%; line-height: 1.5; color: #1b1f24; background: #f5f6f8; }
body { margin: 0; }
.bar { display: flex; gap: 0.75rem; align-items: baseline; padding: 0.75rem 1rem; background: #1f3a5f; color: #fff; }
.brand { font-weight: 700; }
.dialog-name { opacity: 0.9; }
main { max-width: 42rem; margin: 1.5rem auto; padding: 1.5rem; background: #fff; border-radius: 0.5rem; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.12); }
@media (max-width: 44rem) { main { margin: 0; border-radius: 0; box-shadow: none; } }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h1:focus { outline: none; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
.field { margin: 0 0 1.25rem; }
fieldset { border: 0; margin: 0; padding: 0; }
legend, label.prompt { display: block; font-weight: 600; margin-bottom: 0.35rem; padding: 0; }
.required { font-weight: 400; color: #5a6270; }
.choice { display: flex; align-items: center; gap: 0.5rem; padding: 0.35rem 0; font-weight: 400; }
.choice input { width: 1.25rem; height: 1.25rem; margin: 0; }
input[type="text"], input[type="search"], input[type="date"], input[type="datetime-local"], select, textarea {
  width: 100%; max-width: 100%; font: inherit; padding: 0.55rem 0.65rem; border: 1px solid #8a93a3; border-radius: 0.3rem; background: #fff; color: inherit;
}
textarea { min-height: 6rem; resize: vertical; }
input:focus, select:focus, textarea:focus, button:focus { outline: 3px solid #f2b705; outline-offset: 2px; }
[aria-invalid="true"], fieldset.invalid { border-color: #b3261e; }
fieldset.invalid { border-left: 4px solid #b3261e; padding-left: 0.75rem; }
.field-error { color: #b3261e; margin: 0.35rem 0 0; font-weight: 600; }
.field-error:empty { display: none; }
.hint { color: #4a4a4a; margin: 0.35rem 0 0; }
.search { display: flex; gap: 0.5rem; align-items: stretch; }
.search input { flex: 1 1 auto; min-width: 0; }
fieldset.results { margin-top: 0.5rem; }
.error-summary { border: 2px solid #b3261e; border-radius: 0.3rem; padding: 0.75rem 1rem; margin: 0 0 1.25rem; }
.error-summary a { color: #b3261e; }
.notice:empty { display: none; }
.notice { background: #eef4fb; border-left: 4px solid #1f3a5f; padding: 0.5rem 0.75rem; margin: 0 0 1rem; }
.problem { background: #fdecea; border-left: 4px solid #b3261e; padding: 0.5rem 0.75rem; }
.actions { display: flex; flex-wrap: wrap; gap: 0.75rem; margin-top: 1.5rem; }
button { font: inherit; padding: 0.6rem 1.2rem; border-radius: 0.3rem; border: 1px solid #1f3a5f; background: #fff; color: #1f3a5f; cursor: pointer; min-height: 2.75rem; }
button.primary { background: #1f3a5f; color: #fff; }
button.secondary { margin-left: auto; border-color: #8a93a3; color: #3d4451; }
button:disabled { opacity: 0.6; cursor: progress; }
.confirm { margin-top: 1rem; padding: 0.75rem 1rem; border: 1px solid #8a93a3; border-radius: 0.3rem; }
dl.summary { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0.4rem 1rem; }
dl.summary dt { font-weight: 600; }
dl.summary dd { margin: 0; }
@media (max-width: 30rem) { dl.summary { grid-template-columns: 1fr; } dl.summary dd { margin-bottom: 0.5rem; } }
.meta { color: #5a6270; }
`;
