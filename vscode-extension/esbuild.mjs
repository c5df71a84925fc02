// Bundles the extension into dist/extension.js; `vscode` is provided by the host.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/extension.ts'],
  bundle: true,
  outfile: 'dist/extension.js',
  external: ['vscode'],
  format: 'cjs',
  platform: 'node',
  // jsonc-parser's UMD `main` loads its parts with dynamic requires: bundle its ES build.
  mainFields: ['module', 'main'],
  target: 'node18',
  sourcemap: true,
  minify: process.argv.includes('--minify'),
  logLevel: 'warning',
});
