// Compiles the plugin's front end as Discourse does and bundles it for a browser: content-tag
// turns <template> into template() calls, then Babel with babel-plugin-ember-template-compilation
// (ember-source's own template compiler), decorator-transforms and the TypeScript transform;
// esbuild only bundles. Ember's modules come from the real ember-source; the two Discourse
// modules the components import (discourse/lib/ajax, discourse/lib/api) are small shims here.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformAsync } from '@babel/core';
import { Preprocessor } from 'content-tag';
import { build, type Plugin } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const emberSource = dirname(require.resolve('ember-source/package.json'));
const packages = join(emberSource, 'dist', 'dev', 'packages');

/** Bare specifiers ember-source provides (its package.json "renamed-modules"). */
const renamed = Object.keys(
  (
    JSON.parse(await readFile(join(emberSource, 'package.json'), 'utf8')) as {
      'ember-addon': { 'renamed-modules': Record<string, string> };
    }
  )['ember-addon']['renamed-modules'],
);

function emberModule(spec: string): string | undefined {
  for (const candidate of [`${spec}/index.js`, `${spec}.js`]) {
    if (renamed.includes(candidate)) return join(packages, candidate);
  }
  return undefined;
}

const SHIMS: Record<string, string> = {
  'discourse/lib/ajax': join(here, 'shims', 'ajax.ts'),
  'discourse/lib/api': join(here, 'shims', 'api.ts'),
};

const resolveEmber: Plugin = {
  name: 'ember-source',
  setup(b) {
    b.onResolve({ filter: /^[@a-z]/ }, (args) => {
      const shim = SHIMS[args.path];
      if (shim) return { path: shim };
      if (args.path === '@glimmer/component') return undefined; // its own package
      const file = emberModule(args.path);
      return file ? { path: file } : undefined;
    });
  },
};

const compiler = (await import(join(packages, 'ember-template-compiler', 'index.js'))) as object;
const preprocessor = new Preprocessor();

const compileTemplates: Plugin = {
  name: 'gts',
  setup(b) {
    b.onLoad({ filter: /[/\\](assets|test[/\\]browser)[/\\].*\.g?ts$/ }, async (args) => {
      let source = await readFile(args.path, 'utf8');
      if (args.path.endsWith('.gts'))
        source = preprocessor.process(source, { filename: args.path }).code;
      const result = await transformAsync(source, {
        filename: args.path.replace(/\.gts$/, '.ts'),
        babelrc: false,
        configFile: false,
        plugins: [
          [require.resolve('@babel/plugin-transform-typescript'), { allowDeclareFields: true }],
          [
            require.resolve('babel-plugin-ember-template-compilation'),
            { compiler, targetFormat: 'wire' },
          ],
          [
            require.resolve('decorator-transforms'),
            { runtime: { import: 'decorator-transforms/runtime' } },
          ],
        ],
      });
      return { contents: result?.code ?? '', loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/** The browser bundle of test/browser/entry.ts with the plugin's components, as one script. */
export async function bundlePlugin(): Promise<string> {
  const result = await build({
    entryPoints: [join(here, 'entry.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    resolveExtensions: ['.gts', '.ts', '.js'],
    plugins: [resolveEmber, compileTemplates],
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
