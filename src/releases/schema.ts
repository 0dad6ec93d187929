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

/** Managed providers with their own support calendars (endoflife.date product names in PROVIDER_PRODUCTS). */
export const MANAGED_PROVIDERS = ['eks', 'gke', 'aks', 'openshift'] as const;
export type ManagedProvider = (typeof MANAGED_PROVIDERS)[number];

/** endoflife.date product of each provider calendar (file `endoflife-date.<product>.md`, API `/api/v1/products/<product>`). */
export const PROVIDER_PRODUCTS: Readonly<Record<ManagedProvider, string>> = {
  eks: 'amazon-eks',
  gke: 'google-kubernetes-engine',
  aks: 'azure-kubernetes-service',
  openshift: 'red-hat-openshift',
};

/** One release cycle of a managed provider, on the provider's own calendar. */
export const providerReleaseSchema = z.strictObject({
  /** The provider's own cycle name: "1.34" (EKS, GKE, AKS), "4.21" (OpenShift). */
  cycle: z.string().min(1),
  /** The Kubernetes minor the cycle ships. */
  minor: minorVersion,
  ga: isoDate.nullable(),
  /** End of active support where the provider has that phase (GKE, OpenShift full support). */
  eoas: isoDate.nullable(),
  /** End of standard support. */
  eol: isoDate.nullable(),
  /** End of extended support (EKS extended, AKS LTS, OpenShift EUS), or null. */
  eoes: isoDate.nullable(),
  /** Newest provider build known: "1.35-eks-17", "1.35.7-gke.1222000", "4.21.28"; null when not published (AKS). */
  latest: z.string().nullable(),
  latestDate: isoDate.nullable(),
});

export const releaseDataSchema = z.strictObject({
  schemaVersion: z.literal(1),
  /** The newest date the data speaks about: the snapshot is at least this fresh. */
  asOf: isoDate,
  /** Where the facts came from (names and snapshot dates). */
  sources: z.array(z.string()),
  /** Ascending by minor. */
  minors: z.array(minorReleaseSchema),
  /** Managed providers' calendars, newest cycle first as the sources list them; absent in older snapshots. */
  providers: z.partialRecord(z.enum(MANAGED_PROVIDERS), z.array(providerReleaseSchema)).optional(),
});

export type PatchRelease = z.infer<typeof patchReleaseSchema>;
export type MinorRelease = z.infer<typeof minorReleaseSchema>;
export type ReleaseData = z.infer<typeof releaseDataSchema>;
export type ProviderRelease = z.infer<typeof providerReleaseSchema>;

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
      // Extended support (EKS, AKS LTS, OpenShift EUS); absent for products without it.
      isEoes: z.boolean().nullish(),
      eoesFrom: dateOrNull,
      latest: z.object({
        name: z.string(),
        date: dateOrNull,
      }).nullish(),
    })).min(1),
  }),
});

export type EndoflifeProduct = z.infer<typeof endoflifeProductSchema>;
