#!/usr/bin/env node
// The installed `k8s-advisor` command. Plain JavaScript: the Node.js version is checked before
// the compiled CLI (and its dependencies) is loaded, so an old Node.js gets instructions instead
// of a crash.
import { requireSupportedNode } from '../scripts/check-node.js';

requireSupportedNode();
const { main } = await import('../dist/cli.js');
await main(process.argv.slice(2));
