/**
 * Conditions an advisory puts on exploitation beyond the version (only Windows nodes, only when a
 * gitRepo volume is used, only with a feature gate on, only with the ingress-nginx admission
 * webhook enabled), read from the text. Kinds and the phrases that signal them are one table.
 *
 * A wrong `os` condition turns into a wrong "not affected" in triage, so every rule wants the text
 * to *restrict* ("affects only Windows nodes", "clusters are only affected if they include Windows
 * nodes"); a mention in passing ("run kubectl get nodes -l kubernetes.io/os=windows", "Linux and
 * Windows nodes") is not a condition. Mitigation text counts only where it says what to switch off
 * ("disable the X feature gate", "disable the validating admission controller of ingress-nginx"):
 * "enable X" there is the fix, not a condition.
 */
import type { AdvisoryCondition, ConditionKind } from './types.ts';
import type { BodyLine } from './text.ts';
import { sentences } from './text.ts';
import type { Heading, SectionKind } from './sections.ts';

/** Where a sentence was read: describing the issue, or saying how to mitigate it. */
type Where = 'title' | 'describe' | 'mitigate';

interface Sentence {
  text: string;
  where: Where;
  /** A fenced code line (a list of gate names under "the following feature gates enabled:"). */
  code?: boolean;
}

interface ConditionRule {
  kind: ConditionKind;
  /** A cheap test first: most sentences mention none of the words a rule needs. */
  hint: RegExp;
  /** The condition's value for each match (the gate's name, "windows" …); [] = no condition here. */
  read: (s: Sentence, ctx: RuleContext) => string[];
}

interface RuleContext {
  components: readonly string[];
}

const DESCRIBE_SECTIONS: readonly (SectionKind | 'none')[] = ['none', 'affected', 'components', 'vulnerable', 'other'];
const MITIGATE_SECTIONS: readonly SectionKind[] = ['mitigation'];

// ── os ──────────────────────────────────────────────────────────────────────────────────────
const WINDOWS_THING = String.raw`windows\s+(?:worker\s+)?(?:nodes?|hosts?|machines?|servers?|workloads?|containers?|pods?)\b`;
/** Windows as a place things run: "Windows nodes", "kubelets running on Windows", "a Windows-only issue". */
const WINDOWS_THING_RE = new RegExp(String.raw`\b${WINDOWS_THING}|\b(?:running|runs?)\s+on\s+windows\b|\bwindows[\s-]only\b`, 'i');
const LINUX_THING_RE = /\blinux\s+(?:worker\s+)?(?:nodes?|hosts?|machines?|servers?|workloads?|containers?|pods?)\b/i;
const AFFECT_RE = /\b(?:affect(?:s|ed|ing)?|impact(?:s|ed|ing)?|vulnerable|exploitable)\b/i;
/** "… with Windows nodes is impacted", "… only affected if they include Windows nodes", "running Windows workloads". */
const HAVING_WINDOWS_RE = new RegExp(
  String.raw`\b(?:with|includes?|ha(?:ve|s)|running|runs?|use|uses|using|utili[sz]e)\s+(?:any\s+|one\s+or\s+more\s+)?${WINDOWS_THING}`,
  'i',
);
/** "only" next to the OS, not somewhere else in the sentence ("affected only when X … on Windows nodes too"). */
const ONLY_WINDOWS_RE = /\b(?:only|exclusively)\b[^.;]{0,80}\bwindows\b|\bwindows\b[^.;]{0,40}\b(?:only|exclusively)\b/i;
const AFFECTING_WINDOWS_RE = new RegExp(String.raw`\baffect(?:s|ed|ing)?\s+(?:only\s+)?(?:kubernetes\s+)?${WINDOWS_THING}`, 'i');
/** Titles: "… privilege escalation on Windows nodes", "… bypass for Windows containers". */
const TITLE_WINDOWS_RE = new RegExp(String.raw`\b(?:on|for|affecting|in)\s+(?:kubernetes\s+)?${WINDOWS_THING}`, 'i');
/** Not a restriction: the other OS too, "also", a negation near the word. */
const NOT_ONLY_WINDOWS_RE =
  /\blinux\b|\balso\b|\bboth\b|\btoo\b|\beven\b|\bincluding\b|\bas\s+well\b|\bin\s+addition\b|\bnot\b[^.]{0,40}\bwindows\b|\bwindows\b[^.]{0,60}\b(?:is|are)\s+not\b|\bno[tn]?-windows\b|\bn't\b|\bnever\b/i;
const ONLY_LINUX_RE = /\b(?:only|exclusively)\s+(?:on\s+|affects\s+)?linux\b|\blinux\s+(?:worker\s+)?(?:nodes?|hosts?)\s+only\b|\baffects\s+only\s+linux\b/i;
const NOT_ONLY_LINUX_RE = /\bwindows\b|\balso\b|\bboth\b|\btoo\b|\bincluding\b|\bnot\b[^.]{0,40}\blinux\b|\blinux\b[^.]{0,60}\b(?:is|are)\s+not\b|\bn't\b|\bnever\b/i;

function osRule(s: Sentence): string[] {
  const t = s.text;
  if (s.where === 'mitigate' || s.code) return [];
  if (WINDOWS_THING_RE.test(t) && !NOT_ONLY_WINDOWS_RE.test(t)) {
    if (s.where === 'title' && TITLE_WINDOWS_RE.test(t)) return ['windows'];
    if (/\bwindows[\s-]only\b/i.test(t)) return ['windows'];
    if (ONLY_WINDOWS_RE.test(t) && (AFFECT_RE.test(t) || HAVING_WINDOWS_RE.test(t) || /\bonly\s+(?:on\s+)?windows\b/i.test(t))) return ['windows'];
    if (AFFECTING_WINDOWS_RE.test(t)) return ['windows'];
    if (HAVING_WINDOWS_RE.test(t) && AFFECT_RE.test(t)) return ['windows'];
  }
  if (LINUX_THING_RE.test(t) && ONLY_LINUX_RE.test(t) && AFFECT_RE.test(t) && !NOT_ONLY_LINUX_RE.test(t)) return ['linux'];
  return [];
}

// ── volume ──────────────────────────────────────────────────────────────────────────────────
/** In-tree volume types whose use a cluster can show (pods' spec.volumes); only ones advisories single out. */
const VOLUME_TYPES: readonly { value: string; re: RegExp }[] = [{ value: 'gitRepo', re: /\bgit[\s-]?repo\b(?:\s+volumes?)?/i }];
const USE_RE = /\b(?:use[sd]?|using|utili[sz]e[sd]?|associate[sd]?|mount(?:s|ed|ing)?|exploit(?:s|ed|ing)?|leverag(?:e|es|ing)|through|via|with|affect(?:s|ed)?|vulnerable)\b/i;
/** A sentence about volumes in general ("with any volume type, including gitRepo") names no condition. */
const ANY_VOLUME_RE = /\b(?:any|all|other|every)\s+(?:in-tree\s+)?volume\s+types?\b|\bhostPath\b|\bemptyDir\b|\bconfigMap\b|\bprojected\b|\bnfs\b/i;

function volumeRule(s: Sentence): string[] {
  if (s.where === 'mitigate' || s.code || ANY_VOLUME_RE.test(s.text)) return [];
  return VOLUME_TYPES.filter((v) => v.re.test(s.text) && (s.where === 'title' || USE_RE.test(s.text))).map((v) => v.value);
}

// ── admission-webhook ───────────────────────────────────────────────────────────────────────
/** Add-ons whose own validating admission webhook can be the way in. */
const WEBHOOK_ADDONS: readonly { value: string; re: RegExp }[] = [{ value: 'ingress-nginx', re: /\bingress[\s-]nginx\b|\bnginx\s+ingress\b/i }];
const WEBHOOK_RE = /\b(?:validating\s+)?admission\s+(?:webhook|controller)s?\b|\bValidatingWebhookConfiguration\b|--validating-webhook\b/i;
const DISABLE_RE = /\b(?:disabl(?:e|es|ed|ing)|turn(?:ing)?\s+off|switch(?:ing)?\s+off|delet(?:e|es|ing)|remov(?:e|es|ing)|admissionWebhooks\.enabled\s*=\s*false)\b/i;
const EXPOSE_RE = /\b(?:affect(?:s|ed)?|vulnerable|exploit(?:s|ed|able)?|expos(?:e|es|ed)|reach(?:able)?|access\s+to|enabled|send(?:ing)?|crafted|malicious)\b/i;

function webhookRule(s: Sentence, ctx: RuleContext): string[] {
  if (s.code || !WEBHOOK_RE.test(s.text)) return [];
  const cue = s.where === 'mitigate' ? DISABLE_RE.test(s.text) : s.where === 'title' || EXPOSE_RE.test(s.text);
  if (!cue) return [];
  return WEBHOOK_ADDONS.filter((a) => a.re.test(s.text) || (ctx.components.includes(a.value) && /\b(?:its|the\s+controller's|the)\s+(?:validating\s+)?admission\b/i.test(s.text))).map((a) => a.value);
}

// ── feature-gate ────────────────────────────────────────────────────────────────────────────
/** Gate names are CamelCase with at least two capitals ("StreamingProxyRedirects", "ExpandCSIVolumes", "CSIMigration"). */
const GATE = String.raw`(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z][A-Za-z0-9]*[A-Z])[A-Z][A-Za-z0-9]{3,}`;
const GATE_LIST = String.raw`${GATE}(?:\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)${GATE})*`;
// Gate names are case-sensitive (no `i` flag), so the words around them spell both cases.
const NEG = String.raw`(?:\b([Ww]ithout|[Nn]o|[Dd]isabled?)\s+)?(?:[Tt]he\s+)?`;
const FEATURE = String.raw`(?:[Kk]ubernetes\s+)?[Ff]eature`;
const ON = String.raw`(?:is\s+|are\s+|was\s+|were\s+)?(?:enabled|turned\s+on|on)\b`;
/** "the X feature gate (is) enabled", "with the X feature enabled", "when X feature gate is on". */
const GATE_ENABLED_RE = new RegExp(String.raw`${NEG}\b(${GATE_LIST})\s+${FEATURE}(?:[\s-][Gg]ates?)?\s+${ON}`, 'g');
/** "the feature gate X enabled", "feature gates X and Y are enabled". */
const GATE_AFTER_RE = new RegExp(String.raw`${NEG}\b[Ff]eature[\s-][Gg]ates?\s+(${GATE_LIST})\s+${ON}`, 'g');
/** "the X feature gate" in a sentence saying it affects ("clusters using the X feature gate are affected"). */
const GATE_NAMED_RE = new RegExp(String.raw`${NEG}\b(${GATE_LIST})\s+${FEATURE}[\s-][Gg]ates?\b`, 'g');
/** "--feature-gates=A=true,B=false". */
const GATE_FLAG_RE = /--feature-gates[=\s]+((?:[A-Za-z0-9]+=(?:true|false),?)+)/g;
/** Mitigation: "disable the A, B, and C feature gates". */
const GATE_DISABLE_RE = new RegExp(
  String.raw`\b(?:[Dd]isabl(?:e|ing)|[Tt]urn(?:ing)?\s+off|[Ss]witch(?:ing)?\s+off)\s+(?:[Tt]he\s+)?(${GATE_LIST})\s+${FEATURE}[\s-][Gg]ates?\b`,
  'g',
);
const GATE_NAME_RE = new RegExp(GATE, 'g');
/** One gate a line in a list: "VolumeSnapshotDataSource: alpha starting with K8s 1.12", "FooBar=true". */
const GATE_LINE_RE = new RegExp(String.raw`^\s*(${GATE})\s*(?::|=|$)`);
/** "Check if you have the following feature gates enabled:" introduces a list of gates, one a line. */
const GATE_LIST_INTRO_RE = /\bfollowing\s+(?:kubernetes\s+)?feature[\s-]gates?\b[^.]*\benabled\b|\bfeature[\s-]gates?\b[^.]*\benabled\b[^.]*:\s*$/i;

function namesIn(list: string): string[] {
  return list.match(GATE_NAME_RE) ?? [];
}

function gateRule(s: Sentence): string[] {
  const t = s.text;
  if (s.code) {
    const m = GATE_LINE_RE.exec(t);
    return m?.[1] ? [m[1]] : [];
  }
  const out: string[] = [];
  const flags = [...t.matchAll(GATE_FLAG_RE)].flatMap((m) =>
    (m[1] ?? '').split(',').map((kv) => kv.split('=')).filter(([, v]) => v === (s.where === 'mitigate' ? 'false' : 'true')).map(([k]) => k ?? ''),
  );
  if (s.where === 'mitigate') {
    for (const m of t.matchAll(GATE_DISABLE_RE)) out.push(...namesIn(m[1] ?? ''));
    return [...out, ...flags.filter((f) => f.length > 0)];
  }
  for (const re of [GATE_ENABLED_RE, GATE_AFTER_RE]) {
    for (const m of t.matchAll(re)) if (!m[1]) out.push(...namesIn(m[2] ?? ''));
  }
  if (out.length === 0 && AFFECT_RE.test(t) && !/\b(?:disabl|mitigat|workaround)/i.test(t)) {
    for (const m of t.matchAll(GATE_NAMED_RE)) if (!m[1]) out.push(...namesIn(m[2] ?? ''));
  }
  return [...out, ...flags.filter((f) => f.length > 0)];
}

const RULES: readonly ConditionRule[] = [
  { kind: 'os', hint: /windows|linux/i, read: osRule },
  { kind: 'volume', hint: /git/i, read: volumeRule },
  { kind: 'admission-webhook', hint: /admission/i, read: webhookRule },
  { kind: 'feature-gate', hint: /feature/i, read: gateRule },
];
/** Every rule's hint at once: a line with none of these words holds no condition. */
const ANY_HINT_RE = /windows|linux|git|admission|feature/i;

/** The sentences conditions are read from: the title, the description, and mitigations. */
function sentencesOf(lines: BodyLine[], heads: (Heading | null)[], summary: string): Sentence[] {
  const out: Sentence[] = [];
  let ctx: SectionKind | 'none' = 'none';
  let gateList = false;
  lines.forEach((line, i) => {
    const head = heads[i];
    if (head) {
      ctx = head.kind;
      gateList = false;
      return;
    }
    const where: Where | null = DESCRIBE_SECTIONS.includes(ctx) ? 'describe' : MITIGATE_SECTIONS.includes(ctx as SectionKind) ? 'mitigate' : null;
    if (where === null) return;
    if (line.code) {
      if (gateList) out.push({ text: line.raw, where, code: true });
      return;
    }
    if (line.clean.length === 0) return;
    // A list of gates follows "the following feature gates enabled:" (as code or bullets), up to the next prose.
    if (gateList && line.bullet) {
      out.push({ text: line.clean, where, code: true });
      return;
    }
    if (!ANY_HINT_RE.test(line.clean)) {
      gateList = false;
      return;
    }
    gateList = where === 'describe' && GATE_LIST_INTRO_RE.test(line.clean);
    for (const text of sentences(line.clean)) out.push({ text, where });
  });
  // The title last: a body sentence explains a condition better than the title does.
  if (summary.trim()) out.push({ text: summary.trim(), where: 'title' });
  return out;
}

const MAX_TEXT = 300;

/** Conditions in the text, one per kind and value, each with the sentence it was read from. */
export function conditionsFrom(lines: BodyLine[], heads: (Heading | null)[], summary: string, components: readonly string[]): AdvisoryCondition[] {
  const found = new Map<string, AdvisoryCondition>();
  const ctx: RuleContext = { components };
  const said = new Set<string>();
  for (const s of sentencesOf(lines, heads, summary)) {
    for (const os of osSaidAffected(s)) said.add(os);
    for (const rule of RULES) {
      if (!s.code && !rule.hint.test(s.text)) continue;
      for (const value of rule.read(s, ctx)) {
        const key = `${rule.kind}\u0000${value}`;
        if (!found.has(key)) found.set(key, { kind: rule.kind, value, text: capSentence(s.text) });
      }
    }
  }
  // "Clusters with Windows nodes are affected …" next to "Linux nodes are affected when …": neither OS
  // alone, so no os condition (one would turn the other OS's clusters into a wrong "not affected").
  return [...found.values()].filter((c) => c.kind !== 'os' || ![...said].some((os) => os !== c.value));
}

const LINUX_AFFECTED_RE = /\blinux\s+(?:worker\s+)?(?:nodes?|hosts?|machines?|workloads?|containers?|pods?)\b[^.;]{0,60}\b(?:are|is)\s+(?:also\s+)?(?:affected|impacted|vulnerable)\b|\baffects?\s+(?:both\s+)?linux\b/i;
const WINDOWS_AFFECTED_RE = /\bwindows\s+(?:worker\s+)?(?:nodes?|hosts?|machines?|workloads?|containers?|pods?)\b[^.;]{0,60}\b(?:are|is)\s+(?:also\s+)?(?:affected|impacted|vulnerable)\b|\baffects?\s+(?:both\s+)?windows\b/i;

/** Operating systems a describing sentence calls affected, restricted or not ("Linux nodes are affected when …"). */
function osSaidAffected(s: Sentence): string[] {
  if (s.where !== 'describe' || s.code || !/windows|linux/i.test(s.text) || /\bnot\b|\bn't\b|\bnever\b/i.test(s.text)) return [];
  const out: string[] = [];
  if (LINUX_AFFECTED_RE.test(s.text)) out.push('linux');
  if (WINDOWS_AFFECTED_RE.test(s.text)) out.push('windows');
  return out;
}

/** Merges conditions from several sources (OSV block, text), first one wins per kind and value. */
export function mergeConditions(...lists: AdvisoryCondition[][]): AdvisoryCondition[] {
  const found = new Map<string, AdvisoryCondition>();
  for (const c of lists.flat()) {
    const key = `${c.kind}\u0000${c.value}`;
    if (!found.has(key)) found.set(key, c);
  }
  return [...found.values()];
}

function capSentence(text: string): string {
  const t = text.trim();
  return t.length <= MAX_TEXT ? t : `${t.slice(0, MAX_TEXT - 1).trimEnd()}…`;
}
