#!/usr/bin/env node
// The `scout` command: the bundled CLI (npm run build writes dist/cli.js).
require('../dist/cli.js').runFromProcess();
