import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The layer order of `lambdas/` (docs/architecture.md): imports run one way only,
 * handlers → wiring → workflows and adapters → ports → common → canonical.
 */
export type Layer = 'handlers' | 'wiring' | 'workflow' | 'adapter' | 'ports' | 'common' | 'canonical' | 'topology';

/** Each layer's rank: a file may import only from a layer of a higher rank (or its own folder). */
const RANK: Readonly<Record<Layer, number>> = { handlers: 0, wiring: 1, workflow: 2, adapter: 2, ports: 3, common: 4, topology: 5, canonical: 6 };

export const WORKFLOW_FOLDERS = ['opportunity-to-project', 'time-to-invoice', 'invoice-payment-status', 'reconciliation', 'ops'] as const;
export const ADAPTER_FOLDERS = ['hubspot', 'salesforce', 'certinia', 'kantata', 'netsuite', 'business-central', 'dynamodb'] as const;

/** A file's layer and its group (the folder that may import itself), or undefined outside the layered code. */
export function layerOf(file: string): { layer: Layer; group: string } | undefined {
  const parts = file.split('/');
  if (parts[0] === 'canonical') return { layer: 'canonical', group: 'canonical' };
  if (parts[0] === 'lib' && parts[1] === 'topology') return { layer: 'topology', group: 'lib/topology' };
  if (parts[0] !== 'lambdas') return undefined;
  const folder = parts[1] ?? '';
  if (folder === 'handlers') return { layer: 'handlers', group: file };
  if (folder === 'wiring') return { layer: 'wiring', group: 'wiring' };
  if (folder === 'ports') return { layer: 'ports', group: 'ports' };
  if (folder === 'common') return { layer: 'common', group: 'common' };
  if ((WORKFLOW_FOLDERS as readonly string[]).includes(folder)) return { layer: 'workflow', group: folder };
  if ((ADAPTER_FOLDERS as readonly string[]).includes(folder)) return { layer: 'adapter', group: folder };
  throw new Error(`${file} is in lambdas/${folder}/, which no layer names: add the folder to test/architecture/layers.ts and docs/architecture.md`);
}

/** Why an import breaks the layer order, or undefined when it keeps it. */
export function violation(from: string, to: string): string | undefined {
  const a = layerOf(from);
  if (a === undefined) return undefined;
  const b = layerOf(to);
  if (b === undefined) return `${from} imports ${to}, outside the layered code`;
  if (a.group === b.group) return undefined;
  // Only the composition root reads the topology (each function's declared uses).
  if (b.layer === 'topology' && a.layer !== 'wiring' && a.layer !== 'topology') return `${from} (${a.layer}) imports ${to}: only wiring reads lib/topology`;
  if (RANK[b.layer] > RANK[a.layer]) return undefined;
  return `${from} (${a.layer}) imports ${to} (${b.layer})`;
}

/** Every relative import of a TypeScript file, resolved to a repository path. */
export function importsOf(root: string, file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specs.map((spec) => {
    const base = path.join(path.dirname(file), spec);
    for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
      try {
        if (statSync(path.join(root, candidate)).isFile()) return candidate.split(path.sep).join('/');
      } catch {
        // not this candidate
      }
    }
    throw new Error(`${file}: cannot resolve ${spec}`);
  });
}

/** The TypeScript files under a folder, as repository paths. */
export function filesUnder(root: string, folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${folder}/${f.split(path.sep).join('/')}`)
    .sort();
}
