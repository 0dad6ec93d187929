/**
 * A raw item of the official CVE feed (JSON Feed 1.1 + `_kubernetes_io`), validated
 * permissively: only the fields we use, optional ones defaulted. See data/README.md in shared/.
 */
import { z } from 'zod';

export const feedItemSchema = z.object({
  /** One CVE id, or before 2024-06 several joined by ", ". */
  id: z.string().min(1),
  url: z.string().default(''),
  external_url: z.string().nullish(),
  summary: z.string().nullish(),
  content_text: z.string().nullish(),
  date_published: z.string().nullish(),
  status: z.string().nullish(),
  _kubernetes_io: z.object({
    issue_number: z.number().nullish(),
    google_group_url: z.string().nullish(),
  }).nullish(),
});

export type FeedItem = z.infer<typeof feedItemSchema>;

export interface FeedMeta {
  /** Where the feed came from: URL or file path (or "bundled sample"). */
  source: string;
  /** `_kubernetes_io.updated_at`, or null. */
  updatedAt: string | null;
  /** Number of items in the feed (before splitting combined ids). */
  items: number;
}

/** HTTP cache validators of the last successful fetch, sent back as If-None-Match / If-Modified-Since. */
export const feedValidatorsSchema = z.object({
  etag: z.string().nullish().transform((v) => v ?? null),
  lastModified: z.string().nullish().transform((v) => v ?? null),
});

export type FeedValidators = z.infer<typeof feedValidatorsSchema>;

export const NO_VALIDATORS: FeedValidators = Object.freeze({ etag: null, lastModified: null });
