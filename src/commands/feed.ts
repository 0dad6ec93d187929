import type { CliIo } from '../cli.ts';
import { DEFAULT_FEED_URL } from '../config/schema.ts';
import { createLogger } from '../log.ts';
import { loadAdvisories } from './advisories.ts';
import { formatAdvisoryText } from './render-advisory.ts';

export async function runFeed(opts: { feed?: string; format: 'json' | 'text'; io: CliIo }): Promise<number> {
  const logger = createLogger({ level: opts.io.env.LOG_LEVEL ?? 'error' });
  const loaded = await loadAdvisories({ source: opts.feed ?? DEFAULT_FEED_URL, logger });
  for (const w of loaded.warnings) opts.io.stderr(`warning: ${w}\n`);
  if (opts.format === 'json') {
    opts.io.stdout(`${JSON.stringify({ feed: loaded.feed, advisories: loaded.advisories }, null, 2)}\n`);
    return 0;
  }
  const { feed, advisories } = loaded;
  opts.io.stdout(`feed: ${feed.source} (${feed.items} items, ${advisories.length} advisories${feed.updatedAt ? `, updated ${feed.updatedAt}` : ''})\n\n`);
  opts.io.stdout(`${advisories.map(formatAdvisoryText).join('\n\n')}\n`);
  return 0;
}
