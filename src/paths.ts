import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, from src/ (run with Node's type stripping) and from dist/ alike. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The sample feed bundled for `demo` and offline use: real CVE ids and versions, our own wording. */
export const BUNDLED_FEED = resolve(PACKAGE_ROOT, 'data/sample-feed.json');

export const EXAMPLE_FLEET = resolve(PACKAGE_ROOT, 'examples/fleet.yaml');
