/**
 * The Helm chart without helm: values are documented and hardened, the schema is valid JSON that
 * names every top-level value, and the ClusterRole grants only reads plus the few creates the
 * probes make with dryRun=All (no update, patch, delete, escalate, impersonate or secrets).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../helpers/shared-data.ts';

const chart = (file: string) => readFileSync(resolve(REPO_ROOT, 'helm/k8s-advisor', file), 'utf8');
/** Template lines that are pure directives carry no YAML; inline expressions become placeholders. */
const untemplate = (text: string) => text.split('\n').filter((l) => !/^\s*\{\{-?.*-?\}\}\s*$/.test(l)).join('\n').replace(/\{\{.*?\}\}/g, 'X');

interface Rule { apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[]; verbs: string[] }

describe('helm chart', () => {
  const values = parse(chart('values.yaml')) as Record<string, unknown>;

  it('documents every top-level value with a comment', () => {
    const lines = chart('values.yaml').split('\n');
    for (const key of Object.keys(values)) {
      const at = lines.findIndex((l) => l.startsWith(`${key}:`));
      expect(lines[at - 1], `values.yaml: ${key} needs a comment above it`).toMatch(/^#/);
    }
  });

  it('has a schema naming every value', () => {
    const schema = JSON.parse(chart('values.schema.json')) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(values).sort());
  });

  it('ships hardened security defaults', () => {
    expect(values.podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(values.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  it('grants only what the probes and inventory need', () => {
    const docs = parseAllDocuments(untemplate(chart('templates/rbac.yaml'))).map((d) => d.toJS() as { kind: string; rules?: Rule[] });
    const role = docs.find((d) => d.kind === 'ClusterRole');
    const rules = role?.rules ?? [];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      for (const verb of rule.verbs) expect(['get', 'list', 'create']).toContain(verb);
      expect(rule.resources ?? []).not.toContain('secrets');
      expect(rule.resources ?? []).not.toContain('*');
    }
    const creates = rules.filter((r) => r.verbs.includes('create')).flatMap((r) => r.resources ?? []).sort();
    expect(creates).toEqual(['networkpolicies', 'pods', 'subjectaccessreviews']);
  });
});
