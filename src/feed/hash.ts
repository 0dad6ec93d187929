/**
 * Content hashes of a feed item: how edits are detected (never by date). Line endings and
 * trailing blanks are normalized so a CRLF re-save of the same issue is not a change.
 */
import { createHash } from 'node:crypto';
import type { FeedItem } from './item.ts';

function tidy(text: string | null | undefined): string {
  return (text ?? '').replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '').trim();
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What the advisory says and its status: changes when the upstream issue is edited or moves open → fixed. */
export function contentHash(item: FeedItem): string {
  return sha256(JSON.stringify([tidy(item.summary), tidy(item.content_text), item.status ?? null]));
}

/** What a reader sees (summary + body) without the status: tells a body edit from a status move. */
export function bodyHash(item: FeedItem): string {
  return sha256(JSON.stringify([tidy(item.summary), tidy(item.content_text)]));
}
