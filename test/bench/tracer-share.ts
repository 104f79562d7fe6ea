import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_TARGET } from '../../lib/topology/bundling';

/**
 * What Powertools Tracer would cost each function (docs/adr/0019-tracing-and-parser.md): the minified
 * bundle and its cold load with Tracer loaded, enabled as in Lambda and an AWS SDK client captured,
 * beside the bundle as deployed; and what Tracer's X-Ray SDK costs each `await` once loaded. Tracer is
 * no dependency of the project, so the figures print only where it is installed, for example after
 * `npm install --no-save @aws-lambda-powertools/tracer@2.35.0`. Printed, never asserted.
 */

const root = join(__dirname, '..', '..');
const TRACER = '@aws-lambda-powertools/tracer';
/** Where esbuild and the probes look for packages: the project's, then any on NODE_PATH. */
const packagePaths = [join(root, 'node_modules'), ...(process.env.NODE_PATH?.split(delimiter).filter(Boolean) ?? [])];
/** What Lambda sets that turns Tracer on (it stays off without AWS_EXECUTION_ENV). */
const LAMBDA_ENVIRONMENT = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_LAMBDA_FUNCTION_NAME: 'bench', AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR' };
/** Loads of each bundle; the median is printed, one load alone being at the mercy of the machine. */
const LOADS = 7;

function tracerInstalled(): boolean {
  try {
    require.resolve(TRACER, { paths: packagePaths });
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU milliseconds to require a bundle in a fresh Node, the median of LOADS: CPU time rather than wall
 * time, so that other work on a shared two-core machine does not swamp a difference of tens of ms.
 */
function coldLoad(file: string, env: Record<string, string>): number {
  const loads = Array.from({ length: LOADS }, () => {
    const out = execFileSync(
      process.execPath,
      ['-e', `const c=process.cpuUsage();require(${JSON.stringify(file)});const d=process.cpuUsage(c);console.log((d.user+d.system)/1e3)`],
      {
        env: {
          ...process.env,
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
          ...LAMBDA_ENVIRONMENT,
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
      },
    );
    return Number(out.toString().trim());
  });
  return loads.sort((a, b) => a - b)[Math.floor(LOADS / 2)]!;
}

/** CPU milliseconds for a million awaited promises in a fresh Node, with or without Tracer loaded first. */
function awaitCost(withTracer: boolean): number {
  const script = `${withTracer ? `new (require(${JSON.stringify(TRACER)}).Tracer)();` : ''}
    const run = async (n) => { let s = 0; for (let i = 0; i < n; i++) s += await Promise.resolve(i); return s; };
    run(1e5).then(async () => { const c = process.cpuUsage(); await run(1e6); const d = process.cpuUsage(c); console.log((d.user + d.system) / 1e3); });`;
  const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...LAMBDA_ENVIRONMENT, NODE_PATH: packagePaths.join(delimiter) } });
  return Number(out.toString().trim());
}

export async function tracerShare(
  functions: readonly { readonly id: string; readonly entry: string }[],
  options: { readonly define: Record<string, string>; readonly environmentOf: (functionId: string) => Record<string, string> },
): Promise<void> {
  if (!tracerInstalled()) {
    console.log(`\nPowertools Tracer: not installed; npm install --no-save ${TRACER}@2.35.0 to print what it would add (ADR 0019)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-tracer-'));
  const bundle = async (entry: string, file: string) => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: BUNDLE_TARGET,
      minify: true,
      define: options.define,
      write: false,
      nodePaths: packagePaths,
      logLevel: 'silent',
    });
    writeFileSync(file, result.outputFiles[0]!.text);
    return result.outputFiles[0]!.contents.length;
  };
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  console.log(
    `\nPowertools Tracer, enabled as in Lambda, one SDK client captured (CPU ms, median of ${LOADS} loads) | size | cold load | with Tracer: size | cold load`,
  );
  for (const fn of functions) {
    const handler = join(root, fn.entry).replace(/\.ts$/, '');
    const traced = join(dir, `${fn.id}-traced.ts`);
    writeFileSync(
      traced,
      [
        `import { Tracer } from '${TRACER}';`,
        `import { sqs } from ${JSON.stringify(join(root, 'lambdas/common/clients/sqs'))};`,
        'new Tracer().captureAWSv3Client(sqs());',
        `export * from ${JSON.stringify(handler)};`,
      ].join('\n'),
    );
    const plainFile = join(dir, `${fn.id}.js`);
    const tracedFile = join(dir, `${fn.id}-traced.js`);
    const [plainSize, tracedSize] = [await bundle(join(root, fn.entry), plainFile), await bundle(traced, tracedFile)];
    const env = options.environmentOf(fn.id);
    const [plainLoad, tracedLoad] = [coldLoad(plainFile, env), coldLoad(tracedFile, env)];
    console.log(
      `  ${fn.id.padEnd(33)} ${kb(plainSize).padStart(9)} ${plainLoad.toFixed(0).padStart(5)} ms | ${kb(tracedSize).padStart(9)} ${tracedLoad.toFixed(0).padStart(5)} ms  (+${kb(tracedSize - plainSize)}, ${tracedLoad >= plainLoad ? '+' : ''}${(tracedLoad - plainLoad).toFixed(0)} ms)`,
    );
  }
  const [plain, traced] = [awaitCost(false), awaitCost(true)];
  console.log(
    `  1,000,000 awaits: ${plain.toFixed(0)} CPU ms without Tracer, ${traced.toFixed(0)} ms with it loaded (${(traced / plain).toFixed(1)}x: its X-Ray SDK's async hooks run on every promise)`,
  );
}
