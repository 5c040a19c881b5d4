/**
 * The dialog runner's HTML shell. Everything the person sees is drawn by runner.js from the
 * session API, so the shell only names the dialog (escaped) and loads the script and styles.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export function runnerPage(dialog: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Dialog · Flowline</title>
<link rel="stylesheet" href="/dialogs/assets/runner.css">
<script src="/dialogs/assets/runner.js" defer></script>
</head>
<body>
<header class="bar"><span class="brand">Flowline</span><span id="dialog-name" class="dialog-name"></span></header>
<main id="runner" data-dialog="${escapeHtml(dialog)}" aria-busy="true">
<div id="notice" class="notice" role="status" aria-live="polite"></div>
<div id="content"><p>Loading the dialog…</p></div>
<noscript><p>This dialog needs JavaScript in the browser.</p></noscript>
</main>
</body>
</html>
`;
}
