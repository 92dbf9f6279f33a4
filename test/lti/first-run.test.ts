// `pnpm start` as a newcomer runs it: the start script's node command, in an empty directory,
// with no keys and no settings beyond free ports. It must make what it lacks (LTI_KEY's file, the
// tool's producer key trusted by the relay), say so once each, come up (the relay ready, the tool
// answering Canvas's developer-key JSON), stop cleanly on SIGTERM, and make nothing twice.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { connectionUrl } from '@cds/relay';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A package `node --import` names, as a file URL (the test's directory is not the root). */
function importable(name: string): string {
  const manifest = createRequire(join(ROOT, 'package.json')).resolve(`${name}/package.json`);
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: { '.': string } };
  return pathToFileURL(join(dirname(manifest), exports['.'])).href;
}

/** The node command of package.json's "start" (after provisioning), runnable from any directory. */
function startCommand(): string[] {
  const scripts = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const words = scripts.start!.split('&&').at(-1)!.trim().split(/\s+/);
  assert.equal(words[0], 'node');
  return words.slice(1).map((word, i, all) => {
    if (all[i - 1] === '--import') return importable(word);
    return word.endsWith('.ts') ? resolve(ROOT, word) : word;
  });
}

/** Settings a test runner may carry that a newcomer's shell would not. */
const INHERITED =
  /^(LTI_|CANVAS_|RELAY_|TRUSTED_JWKS|DATABASE_URL|OUTBOUND_WEBHOOK_URL|POLICY_OVERRIDES|QUEUE_PREFIX|PORT$)/;

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

describe('pnpm start on a first run', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'cds-start-'));
  const prefix = `{start-${randomUUID().slice(0, 8)}}`;
  let port: number;
  let ltiPort: number;
  let run: Run | undefined;

  function start(): Run {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env))
      if (value !== undefined && !INHERITED.test(name)) env[name] = value;
    Object.assign(env, {
      PORT: String(port),
      LTI_PORT: String(ltiPort),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
    });
    const child = spawn(process.execPath, startCommand(), {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    return { child, output: () => text, exited };
  }

  async function comesUp(r: Run): Promise<void> {
    await waitFor(
      `the relay ready and the tool answering (output so far: ${r.output().slice(-2000)})`,
      async () => {
        if (r.child.exitCode !== null) throw new Error(`exited ${r.child.exitCode}: ${r.output()}`);
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
        const config = await fetch(`http://127.0.0.1:${ltiPort}/lti/config.json`);
        return ready.status === 200 && config.status === 200;
      },
      60_000,
      200,
    );
  }

  async function stop(r: Run): Promise<number | null> {
    r.child.kill('SIGTERM');
    return r.exited;
  }

  before(async () => {
    port = await freePort();
    ltiPort = await freePort();
  });

  after(async () => {
    if (run && run.child.exitCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
    const redis = new Redis(connectionUrl('REDIS_URL'), { maxRetriesPerRequest: 1 });
    try {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const created = (text: string) => text.split('\n').filter((line) => /"msg":"created /.test(line));

  it('makes the keys it needs, says so once each, comes up and stops cleanly on SIGTERM', async () => {
    run = start();
    await comesUp(run);
    const keys = join(dir, 'data', 'keys');
    const ltiKey = readFileSync(join(keys, 'lti.key'), 'utf8').trim();
    assert.match(ltiKey, /^[0-9a-f]{64}$/);
    assert.equal(statSync(join(keys, 'lti.key')).mode & 0o777, 0o600);
    const toolKey = JSON.parse(readFileSync(join(keys, 'lti-tool.private.jwk.json'), 'utf8')) as {
      kid: string;
      d?: string;
    };
    assert.ok(toolKey.d, 'the private JWK');
    assert.equal(statSync(join(keys, 'lti-tool.private.jwk.json')).mode & 0o777, 0o600);
    const trusted = JSON.parse(readFileSync(join(keys, 'trusted.jwks.json'), 'utf8')) as {
      keys: Array<{ kid: string; producer?: string; sources?: string[]; d?: string }>;
    };
    const tool = trusted.keys.filter((k) => k.producer === 'lti-tool');
    assert.equal(tool.length, 1);
    assert.equal(tool[0]!.kid, toolKey.kid);
    assert.deepEqual(tool[0]!.sources, ['canvas', 'manual']);
    assert.equal(tool[0]!.d, undefined, 'only the public half is trusted');

    const lines = created(run.output());
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0]!, /LTI_KEY in \.\/data\/keys\/lti\.key/);
    assert.match(lines[1]!, /producer key .* \(LTI_TOOL_KEY\), trusted in/);
    assert.match(
      run.output(),
      new RegExp(
        `delivers Canvas-bound events to this tool at http://localhost:${ltiPort}/v1/deliveries \\(CANVAS_DELIVERY_URL\\)`,
      ),
    );
    // Canvas's developer-key JSON names the tool's public URL.
    const config = (await (await fetch(`http://127.0.0.1:${ltiPort}/lti/config.json`)).json()) as {
      target_link_uri: string;
    };
    assert.equal(config.target_link_uri, `http://localhost:${ltiPort}/lti/launch`);
    // The relay's Canvas side answers as the tool: no CANVAS_URL yet, so no writes, said why.
    const delivery = await fetch(`http://127.0.0.1:${ltiPort}/v1/deliveries`, { method: 'POST' });
    assert.equal(delivery.status, 503);
    assert.match(
      ((await delivery.json()) as { error: { message: string } }).error.message,
      /set CANVAS_URL/,
    );

    assert.equal(await stop(run), 0, run.output());
    assert.match(run.output(), /"signal":"SIGTERM"/);
  });

  it('makes nothing again on the next start', async () => {
    const keys = join(dir, 'data', 'keys');
    const before = {
      lti: readFileSync(join(keys, 'lti.key'), 'utf8'),
      tool: readFileSync(join(keys, 'lti-tool.private.jwk.json'), 'utf8'),
      trusted: readFileSync(join(keys, 'trusted.jwks.json'), 'utf8'),
    };
    run = start();
    await comesUp(run);
    assert.deepEqual(created(run.output()), []);
    assert.equal(readFileSync(join(keys, 'lti.key'), 'utf8'), before.lti);
    assert.equal(readFileSync(join(keys, 'lti-tool.private.jwk.json'), 'utf8'), before.tool);
    assert.equal(readFileSync(join(keys, 'trusted.jwks.json'), 'utf8'), before.trusted);
    assert.equal(await stop(run), 0, run.output());
  });
});
