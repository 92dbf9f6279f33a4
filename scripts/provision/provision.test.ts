// Unit tests for provisioning that need no Redis or PostgreSQL: run with mocha (part of
// `pnpm test`). Fake servers listen on 127.0.0.1 only.
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import { maskUrl, parsePostgresUrl, parseRedisUrl } from '../../relay/src/settings/connections.js';
import { main } from './cli.js';
import { ProvisionError } from './errors.js';
import { parseClustersText } from './pg-cluster.js';
import { isLocalHost } from './probe.js';
import { provision } from './provision.js';
import { classifyPsqlError } from './psql.js';
import { redisPing, respCommand } from './redis-ping.js';
import { which } from './system.js';
import { sqlIdent, sqlLiteral } from './text.js';

/** Cleanups registered by a test, run after it whether it passed or not. */
const pending: Array<() => Promise<unknown>> = [];
function cleanups() {
  return { after: (fn: () => Promise<unknown>) => pending.push(fn) };
}

interface FakeServer {
  port: number;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 whose connections get `onData(text, socket)`. */
async function fakeServer(onData: (text: string, socket: Socket) => void): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (d) => onData(d.toString(), socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function freePort(): Promise<number> {
  const s = await fakeServer(() => {});
  await s.close();
  return s.port;
}

/** Asserts a wrong setting: ERR_INVALID_CONFIG, and a message matching `pattern`. */
function invalidConfig(pattern: RegExp) {
  return (error: Error & { code?: string }) => {
    assert.equal(error.code, 'ERR_INVALID_CONFIG');
    assert.match(error.message, pattern);
    return true;
  };
}

/** Runs `fn` with console.error and console.log captured; returns what they printed. */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; output: string }> {
  const lines: string[] = [];
  const { error, log } = console;
  console.error = (...args: unknown[]) => void lines.push(args.join(' '));
  console.log = console.error;
  try {
    return { value: await fn(), output: lines.join('\n') };
  } finally {
    console.error = error;
    console.log = log;
  }
}

describe('scripts/provision', () => {
  afterEach(async () => {
    await Promise.all(pending.splice(0).map((fn) => fn()));
  });

  it('maskUrl hides passwords in user info and query', () => {
    assert.equal(
      maskUrl('postgres://cds:cds@127.0.0.1:5432/cds_test'),
      'postgres://cds:***@127.0.0.1:5432/cds_test',
    );
    assert.equal(maskUrl('redis://:s3cret@localhost:6379'), 'redis://:***@localhost:6379');
    assert.equal(maskUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
    assert.ok(!maskUrl('postgres://u@h/db?password=topsecret').includes('topsecret'));
    assert.equal(maskUrl('not a url'), '<invalid URL>');
  });

  it('isLocalHost', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.1.1', ''])
      assert.ok(isLocalHost(h), h);
    for (const h of ['redis.example', '10.0.0.5', '::2']) assert.ok(!isLocalHost(h), h);
  });

  it('parseRedisUrl', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379'), {
      host: '127.0.0.1',
      port: 6379,
      username: '',
      password: '',
      tls: false,
    });
    assert.deepEqual(parseRedisUrl('rediss://app:p%40ss@[::1]'), {
      host: '::1',
      port: 6379,
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
    assert.throws(() => parseRedisUrl('http://x'), invalidConfig(/^REDIS_URL must start with/));
    assert.throws(() => parseRedisUrl('::'), invalidConfig(/^REDIS_URL /));
  });

  it('parsePostgresUrl', () => {
    assert.deepEqual(parsePostgresUrl('postgres://cds:cds@127.0.0.1:5432/cds_test'), {
      host: '127.0.0.1',
      port: 5432,
      user: 'cds',
      password: 'cds',
      database: 'cds_test',
    });
    assert.deepEqual(parsePostgresUrl('postgresql://me@localhost'), {
      host: 'localhost',
      port: 5432,
      user: 'me',
      password: '',
      database: 'me',
    });
    assert.throws(
      () => parsePostgresUrl('mysql://a@b/c'),
      invalidConfig(/^TEST_POSTGRES_URL must start with postgres:\/\//),
    );
    assert.throws(
      () => parsePostgresUrl('mysql://a@b/c', 'DATABASE_URL'),
      invalidConfig(/^DATABASE_URL /),
    );
  });

  it('SQL quoting', () => {
    assert.equal(sqlIdent('we"ird'), '"we""ird"');
    assert.equal(sqlLiteral("it's"), "'it''s'");
  });

  it('respCommand', () => {
    assert.equal(respCommand('PING'), '*1\r\n$4\r\nPING\r\n');
    assert.equal(respCommand('AUTH', 'pé'), '*2\r\n$4\r\nAUTH\r\n$3\r\npé\r\n');
  });

  it('parseClustersText', () => {
    const text =
      '15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log\n' +
      '16  other   5433 down,binaries_missing postgres /var/lib/postgresql/16/other /var/log/x.log\n';
    const [a, b] = parseClustersText(text);
    assert.ok(a && b);
    assert.equal(a.version, '15');
    assert.equal(a.name, 'main');
    assert.equal(a.port, 5432);
    assert.equal(a.running, true);
    assert.equal(a.owner, 'postgres');
    assert.equal(b.running, false);
    assert.equal(b.hbaFile, '/etc/postgresql/16/other/pg_hba.conf');
    assert.deepEqual(
      parseClustersText('Ver Cluster Port Status Owner Data directory Log file\n'),
      [],
    );
  });

  it('classifyPsqlError', () => {
    const at = 'psql: error: connection to server at "127.0.0.1", port 5432 failed: ';
    assert.equal(
      classifyPsqlError(`${at}FATAL:  password authentication failed for user "cds"`),
      'auth',
    );
    assert.equal(classifyPsqlError(`${at}FATAL:  database "cds_test" does not exist`), 'nodb');
    assert.equal(classifyPsqlError(`${at}FATAL:  role "cds" does not exist`), 'norole');
    assert.equal(classifyPsqlError(`${at}FATAL:  no pg_hba.conf entry for host`), 'hba');
    assert.equal(classifyPsqlError(`${at}Connection refused`), 'refused');
    assert.equal(classifyPsqlError(`${at}FATAL:  the database system is starting up`), 'starting');
  });

  it('redisPing: PONG, AUTH, NOAUTH, wrong password, not Redis, refused, silent', async () => {
    const t = cleanups();
    const password = 'pw';
    const redis = await fakeServer((text, socket) => {
      // Answers like a Redis with requirepass: AUTH pw, then PING.
      const authed = text.includes(`$${password.length}\r\n${password}\r\n`);
      if (text.includes('AUTH')) socket.write(authed ? '+OK\r\n' : '-WRONGPASS invalid\r\n');
      if (text.includes('PING'))
        socket.write(authed ? '+PONG\r\n' : '-NOAUTH Authentication required.\r\n');
    });
    const http = await fakeServer((_text, socket) =>
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'),
    );
    const silent = await fakeServer(() => {});
    t.after(() => Promise.all([redis.close(), http.close(), silent.close()]));
    const at = (port: number, extra: { password?: string } = {}) => ({
      host: '127.0.0.1',
      port,
      username: '',
      password: '',
      tls: false,
      ...extra,
    });
    const reason = async (port: number, extra?: { password?: string }, timeoutMs?: number) => {
      const result = await redisPing(at(port, extra), timeoutMs);
      return result.ok ? 'ok' : result.reason;
    };

    assert.deepEqual(await redisPing(at(redis.port, { password })), { ok: true });
    assert.equal(await reason(redis.port), 'noauth');
    assert.equal(await reason(redis.port, { password: 'nope' }), 'auth');
    assert.equal(await reason(http.port), 'protocol');
    assert.equal(await reason(await freePort()), 'refused');
    assert.equal(await reason(silent.port, {}, 200), 'noreply');
  });

  it('provision: an answering Redis is reported, not touched', async () => {
    const t = cleanups();
    const redis = await fakeServer((text, socket) => {
      if (text.includes('PING')) socket.write('+PONG\r\n');
    });
    t.after(() => redis.close());
    const url = `redis://127.0.0.1:${redis.port}`;
    const result = await provision({ postgres: false, summary: false, redisUrl: url });
    assert.equal(result.redis?.url, url);
    assert.equal(result.redis?.startedByUs, false);
    assert.equal(result.postgres, undefined);
  });

  it('provision: a non-Redis server on the port is an error, never replaced', async () => {
    const t = cleanups();
    const other = await fakeServer((_text, socket) => socket.end('SSH-2.0-nope\r\n'));
    t.after(() => other.close());
    await assert.rejects(
      provision({
        postgres: false,
        summary: false,
        quiet: true,
        redisUrl: `redis://127.0.0.1:${other.port}`,
      }),
      (err) =>
        err instanceof ProvisionError && /does not answer as a usable Redis/.test(err.message),
    );
  });

  it('provision: a remote Redis is only probed; the error names REDIS_URL', async () => {
    const port = await freePort();
    // Any name but localhost counts as another machine; one under .invalid resolves nowhere,
    // so no traffic leaves this machine.
    await assert.rejects(
      provision({
        postgres: false,
        summary: false,
        quiet: true,
        redisUrl: `redis://cds-no-such-host.invalid:${port}`,
      }),
      (err) =>
        err instanceof ProvisionError &&
        /REDIS_URL/.test(err.message) &&
        /not this machine/.test(err.message),
    );
  });

  it('provision: a DATABASE_URL that is neither sqlite: nor postgres:// is named, not ignored', async () => {
    await assert.rejects(
      provision({
        redis: false,
        testDatabase: false,
        summary: false,
        quiet: true,
        databaseUrl: 'mysql://root:hunter2@127.0.0.1/relay',
      }),
      invalidConfig(/^DATABASE_URL must be sqlite:PATH or postgres:\/\/.*root:\*\*\*@/),
    );
  });

  it('provision --app: a sqlite: DATABASE_URL needs no PostgreSQL at all', async () => {
    const result = await provision({
      redis: false,
      testDatabase: false,
      summary: false,
      databaseUrl: 'sqlite:./data/cds.sqlite',
    });
    assert.deepEqual(result, {});
  });

  it('finds Chromium at CHROMIUM_PATH, and says what to do when that is not an executable', async () => {
    const saved = process.env.CHROMIUM_PATH;
    try {
      process.env.CHROMIUM_PATH = process.execPath; // any executable stands in for the browser
      const found = await provision({
        redis: false,
        postgres: false,
        chromium: true,
        summary: false,
      });
      assert.deepEqual(found.chromium, { path: process.execPath, how: 'CHROMIUM_PATH' });
      process.env.CHROMIUM_PATH = 'no-such-chromium-here';
      await assert.rejects(
        provision({ redis: false, postgres: false, chromium: true, summary: false }),
        /CHROMIUM_PATH is no-such-chromium-here, which is not an executable/,
      );
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  });

  it('finds Ruby with minitest at RUBY_PATH, and says what to install when it is not one', async () => {
    const saved = process.env.RUBY_PATH;
    const ruby = which('ruby');
    try {
      if (ruby) {
        process.env.RUBY_PATH = ruby;
        const found = await provision({
          redis: false,
          postgres: false,
          ruby: true,
          summary: false,
        });
        assert.deepEqual(found.ruby, { path: ruby, how: 'RUBY_PATH' });
      }
      process.env.RUBY_PATH = 'no-such-ruby-here';
      await assert.rejects(
        provision({ redis: false, postgres: false, ruby: true, summary: false }),
        /RUBY_PATH is no-such-ruby-here, which is not an executable/,
      );
      process.env.RUBY_PATH = '/bin/false'; // an executable that cannot load minitest
      await assert.rejects(
        provision({ redis: false, postgres: false, ruby: true, summary: false }),
        /\/bin\/false cannot load minitest: .*apt-get install ruby/,
      );
    } finally {
      if (saved === undefined) delete process.env.RUBY_PATH;
      else process.env.RUBY_PATH = saved;
    }
  });

  it('the command refuses unknown arguments and contradictory ones with status 2 and its usage', async () => {
    const unknown = await captured(() => main(['--frobnicate']));
    assert.equal(unknown.value, 2);
    assert.match(unknown.output, /provision: unknown argument --frobnicate/);
    assert.match(unknown.output, /usage: pnpm provision/);
    const both = await captured(() => main(['--redis-only', '--postgres-only']));
    assert.equal(both.value, 2);
    assert.match(both.output, /--redis-only and --postgres-only exclude each other/);
  });

  it('the command prints what to do, without a stack, when it cannot', async () => {
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = 'http://:hunter2@127.0.0.1:6379';
    try {
      const run = await captured(() => main(['--redis-only', '--quiet']));
      assert.equal(run.value, 1);
      assert.match(run.output, /^provision: REDIS_URL must start with redis:\/\/ or rediss:\/\//);
      assert.ok(!run.output.includes('hunter2'));
      assert.ok(!run.output.includes('    at '), run.output);
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  });
});
