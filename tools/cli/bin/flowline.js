#!/usr/bin/env node
// `npx flowline`: runs the CLI's TypeScript source with the workspace's SWC register hook,
// resolving @flowline/* aliases from the workspace tsconfig wherever it is called from.
const path = require('node:path');
const root = path.resolve(__dirname, '../../..');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(root, 'tsconfig.json');
require('@swc-node/register');
require(path.join(root, 'tools/cli/src/main.ts'))
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
