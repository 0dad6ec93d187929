/**
 * Shapes of release data at our two boundaries: the bundled snapshot (data/releases.json,
 * written by scripts/build-releases.ts) and endoflife.date's public API (v1), validated
 * permissively: only the fields we use.
 */
import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like "2026-08-20"');
const patchVersion = z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version like "1.29.4"');
const minorVersion = z.string().regex(/^\d+\.\d+$/, 'expected a minor like "1.29"');

export const patchReleaseSchema = z.strictObject({
  version: patchVersion,
  date: isoDate,
});

export const minorReleaseSchema = z.strictObject({
  minor: minorVersion,
  /** General availability (the x.y.0 release date). */
  ga: isoDate.nullable(),
  /** End of active support: maintenance mode, security fixes only, until `eol`. */
  eoas: isoDate.nullable(),
  /** End of life: from this date on the branch gets no more patches (exceptions: `postEolCves`). */
  eol: isoDate.nullable(),
  /** Latest patch known for the branch. */
  latest: patchVersion.nullable(),
  latestDate: isoDate.nullable(),
  /** The branch's final patch according to kubernetes/website, for branches past EOL. */
  finalPatch: patchVersion.nullable(),
  /** CVE ids that kubernetes/website says a patch after EOL was released for. */
  postEolCves: z.array(z.string()),
  /** Every tagged patch of the branch, ascending. */
  patches: z.array(patchReleaseSchema),
});

export const releaseDataSchema = z.strictObject({
  schemaVersion: z.literal(1),
  /** The newest date the data speaks about: the snapshot is at least this fresh. */
  asOf: isoDate,
  /** Where the facts came from (names and snapshot dates). */
  sources: z.array(z.string()),
  /** Ascending by minor. */
  minors: z.array(minorReleaseSchema),
});

export type PatchRelease = z.infer<typeof patchReleaseSchema>;
export type MinorRelease = z.infer<typeof minorReleaseSchema>;
export type ReleaseData = z.infer<typeof releaseDataSchema>;

/** A date or a boolean: endoflife.date writes `true` where a phase has no known date. */
const dateOrNull = z.string().nullish().transform((s) => (s && /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : null));

/**
 * endoflife.date API v1, GET /api/v1/products/kubernetes:
 * `{ schema_version, generated_at, result: { name, releases: [{ name, releaseDate, isEoas, eoasFrom, isEol, eolFrom, latest: { name, date } }] } }`.
 */
export const endoflifeProductSchema = z.object({
  schema_version: z.string().optional(),
  generated_at: z.string().nullish(),
  result: z.object({
    name: z.string().optional(),
    releases: z.array(z.object({
      name: z.string().regex(/^\d+\.\d+$/),
      releaseDate: dateOrNull,
      isEoas: z.boolean().nullish(),
      eoasFrom: dateOrNull,
      isEol: z.boolean().nullish(),
      eolFrom: dateOrNull,
      latest: z.object({
        name: z.string(),
        date: dateOrNull,
      }).nullish(),
    })).min(1),
  }),
});

export type EndoflifeProduct = z.infer<typeof endoflifeProductSchema>;
