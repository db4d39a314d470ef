#!/usr/bin/env node
// Entry point installed as `medcom-gateway`. Runs the compiled CLI (built by `npm ci` via `prepare`).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 70;
  },
);
