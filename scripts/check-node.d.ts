/** Types for check-node.js (plain JavaScript so that old Node.js versions can run it). */
export function minimumOf(range: string): [number, number, number];
export function nodeProblem(version: string, range: string): string | null;
export function requireSupportedNode(): void;
