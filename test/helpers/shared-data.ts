/**
 * Real upstream data lives in ../shared/data beside the repository (never copied in: it is
 * other people's words). Tests that need it use `describeShared`, which skips with a reason
 * when the folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DATA = process.env.K8S_ADVISOR_SHARED_DATA ?? resolve(REPO_ROOT, '../shared/data');
export const HAS_SHARED_DATA = existsSync(resolve(SHARED_DATA, 'feeds'));

export const FEED_2023 = resolve(SHARED_DATA, 'feeds/official-cve-feed.2023-07-01.json');
export const FEED_RECENT = resolve(SHARED_DATA, 'feeds/recent-sample.2023-2025.json');

export function readShared(relative: string): string {
  return readFileSync(resolve(SHARED_DATA, relative), 'utf8');
}

/**
 * describe() that skips, saying why, when ../shared/data is missing. The suite's body is not
 * even collected then: bodies read the data at collection time.
 */
export const describeShared: typeof describe = HAS_SHARED_DATA
  ? describe
  : ((name: string) =>
      describe(name, () => {
        it.skip(`skipped: real data not found at ${SHARED_DATA}`, () => undefined);
      })) as unknown as typeof describe;
