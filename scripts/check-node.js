#!/usr/bin/env node
// Checks the running Node.js against package.json "engines" before anything else is loaded.
// Plain JavaScript on purpose, and no syntax newer than Node.js 14: it must run on the old
// versions it exists to reject (which otherwise fail with ERR_UNKNOWN_FILE_EXTENSION ".ts" or a
// crash deep inside a dependency). Run directly (`node scripts/check-node.js && …`) it exits 2
// with instructions; bin/k8s-advisor.js imports `requireSupportedNode` first.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** ">=22.19" or ">=22.19.0" → [22, 19, 0]; anything else is a packaging mistake. */
export function minimumOf(range) {
  const m = /^>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(range).trim());
  if (!m) throw new Error('package.json engines.node must look like ">=22.19", not "' + range + '"');
  return [Number(m[1]), Number(m[2] || 0), Number(m[3] || 0)];
}

/** null when `version` ("20.20.2") satisfies `range`, else the message to print. */
export function nodeProblem(version, range) {
  const need = minimumOf(range);
  const have = String(version).replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((have[i] || 0) > need[i]) return null;
    if ((have[i] || 0) < need[i]) {
      return [
        'k8s-advisor needs Node.js ' + range + '; this is Node.js v' + have.join('.') + '.',
        'Install Node.js 24 LTS from https://nodejs.org/en/download (or: nvm install 24 && nvm use 24),',
        'or run the container image (ghcr.io/k8s-advisor/k8s-advisor), which ships its own Node.js.',
      ].join('\n');
    }
  }
  return null;
}

export function requireSupportedNode() {
  const problem = nodeProblem(process.versions.node, pkg.engines.node);
  if (problem !== null) {
    process.stderr.write('error: ' + problem + '\n');
    process.exit(2);
  }
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] && realpathSync(process.argv[1]) === self) requireSupportedNode();
