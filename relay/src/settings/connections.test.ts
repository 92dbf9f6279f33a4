import assert from 'node:assert/strict';
import { loadConfig } from '../config.js';
import {
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  DEFAULT_TEST_POSTGRES_URL,
  connectionUrl,
  maskUrl,
  parseDatabaseUrl,
  parsePostgresUrl,
  parseRedisUrl,
} from './connections.js';

/** Asserts that `fn` throws InvalidConfig whose message matches every pattern. */
function throwsConfig(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (error: Error & { code?: string }) => {
    assert.equal(error.code, 'ERR_INVALID_CONFIG');
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe('connection settings', () => {
  describe('when a variable is unset or empty', () => {
    it('gives the documented default', () => {
      assert.equal(connectionUrl('REDIS_URL', {}), 'redis://127.0.0.1:6379');
      assert.equal(connectionUrl('DATABASE_URL', { DATABASE_URL: '' }), 'sqlite:./data/cds.sqlite');
      assert.equal(
        connectionUrl('TEST_POSTGRES_URL', {}),
        'postgres://cds:cds@127.0.0.1:5432/cds_test',
      );
      assert.equal(DEFAULT_REDIS_URL, 'redis://127.0.0.1:6379');
      assert.equal(DEFAULT_DATABASE_URL, 'sqlite:./data/cds.sqlite');
      assert.equal(DEFAULT_TEST_POSTGRES_URL, 'postgres://cds:cds@127.0.0.1:5432/cds_test');
    });
  });

  describe('when a variable is set', () => {
    it('returns it as written', () => {
      const env = {
        REDIS_URL: 'rediss://app:pw@redis.example:6380/2',
        DATABASE_URL: 'postgresql://u:p@db.example/relay',
        TEST_POSTGRES_URL: 'postgres://t@127.0.0.1:5433/t',
      };
      assert.equal(connectionUrl('REDIS_URL', env), env.REDIS_URL);
      assert.equal(connectionUrl('DATABASE_URL', env), env.DATABASE_URL);
      assert.equal(connectionUrl('TEST_POSTGRES_URL', env), env.TEST_POSTGRES_URL);
      assert.equal(
        connectionUrl('DATABASE_URL', { DATABASE_URL: 'sqlite::memory:' }),
        'sqlite::memory:',
      );
    });
  });

  describe('when REDIS_URL is wrong', () => {
    it('names the variable and the scheme it expects', () => {
      throwsConfig(
        () => connectionUrl('REDIS_URL', { REDIS_URL: 'localhost:6379' }),
        /^REDIS_URL must start with redis:\/\/ or rediss:\/\//,
        /got "localhost:6379"/,
        /e\.g\. redis:\/\/127\.0\.0\.1:6379/,
      );
    });

    it('refuses a port out of range and a path that is not a database number', () => {
      throwsConfig(
        () => connectionUrl('REDIS_URL', { REDIS_URL: 'redis://127.0.0.1:99999' }),
        /^REDIS_URL must be a valid URL: redis:\/\/\[\[user\]:password@\]host\[:port\]\[\/db\]/,
      );
      throwsConfig(
        () => connectionUrl('REDIS_URL', { REDIS_URL: 'redis://127.0.0.1:6379/cache' }),
        /^REDIS_URL may end only with a database number, e\.g\. redis:\/\/127\.0\.0\.1:6379\/0/,
      );
    });

    it('never shows its password', () => {
      throwsConfig(
        () => connectionUrl('REDIS_URL', { REDIS_URL: 'http://:hunter2@127.0.0.1:6379' }),
        /got "http:\/\/:\*\*\*@127\.0\.0\.1:6379\/?"/,
      );
      assert.throws(
        () => connectionUrl('REDIS_URL', { REDIS_URL: 'http://:hunter2@127.0.0.1:6379' }),
        (error: Error) => !error.message.includes('hunter2'),
      );
    });
  });

  describe('when DATABASE_URL is wrong', () => {
    it('names the variable and both forms it accepts', () => {
      throwsConfig(
        () => connectionUrl('DATABASE_URL', { DATABASE_URL: 'mysql://root:secret@db/relay' }),
        /^DATABASE_URL must be sqlite:PATH or postgres:\/\/user:password@host:port\/database/,
        /got "mysql:\/\/root:\*\*\*@db\/relay"/,
        /e\.g\. sqlite:\.\/data\/cds\.sqlite/,
      );
    });

    it('refuses sqlite: without a file, and sqlite://relative (which would be read as absolute)', () => {
      throwsConfig(
        () => connectionUrl('DATABASE_URL', { DATABASE_URL: 'sqlite:' }),
        /^DATABASE_URL must name a file after sqlite:/,
      );
      throwsConfig(
        () => connectionUrl('DATABASE_URL', { DATABASE_URL: 'sqlite://data/cds.sqlite' }),
        /^DATABASE_URL must be sqlite:RELATIVE\/PATH or sqlite:\/ABSOLUTE\/PATH/,
      );
    });

    it('refuses a PostgreSQL URL that does not parse', () => {
      throwsConfig(
        () => connectionUrl('DATABASE_URL', { DATABASE_URL: 'postgres://u:p@db:99999/x' }),
        /^DATABASE_URL must be a valid URL: postgres:\/\/user:password@host:port\/database/,
      );
    });
  });

  describe('when TEST_POSTGRES_URL is wrong', () => {
    it('names it and asks for a PostgreSQL URL, even for a valid sqlite: URL', () => {
      throwsConfig(
        () => connectionUrl('TEST_POSTGRES_URL', { TEST_POSTGRES_URL: 'sqlite:./x.sqlite' }),
        /^TEST_POSTGRES_URL must start with postgres:\/\/ or postgresql:\/\//,
        /e\.g\. postgres:\/\/cds:\*\*\*@127\.0\.0\.1:5432\/cds_test/,
      );
    });
  });

  describe('at boot (loadConfig)', () => {
    it('refuses a DATABASE_URL the store cannot open, before anything starts', () => {
      throwsConfig(
        () => loadConfig({ DATABASE_URL: 'mysql://root@db/relay' }),
        /DATABASE_URL: must be sqlite:PATH or postgres:\/\//,
      );
    });

    it('refuses a REDIS_URL that only looks right', () => {
      throwsConfig(
        () => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/queues' }),
        /REDIS_URL: may end only with a database number/,
      );
    });

    it('applies the same defaults', () => {
      const config = loadConfig({});
      assert.equal(config.redisUrl, DEFAULT_REDIS_URL);
      assert.equal(config.databaseUrl, DEFAULT_DATABASE_URL);
    });
  });

  describe('parsed forms', () => {
    it('splits a Redis URL, decoding its credentials', () => {
      assert.deepEqual(parseRedisUrl('rediss://app:p%40ss@[::1]:6380/1'), {
        host: '::1',
        port: 6380,
        username: 'app',
        password: 'p@ss',
        tls: true,
      });
      assert.equal(parseRedisUrl('redis://').host, '127.0.0.1');
    });

    it('splits a PostgreSQL URL, with libpq query parameters and a Unix socket host', () => {
      assert.deepEqual(
        parsePostgresUrl('postgres:///relay?host=/var/run/postgresql&port=5433&user=me'),
        {
          host: '',
          port: 5433,
          user: 'me',
          password: '',
          database: 'relay',
        },
      );
    });

    it('tells a SQLite store from a PostgreSQL one, naming the variable it was given', () => {
      assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), {
        dialect: 'sqlite',
        path: ':memory:',
      });
      assert.deepEqual(parseDatabaseUrl('sqlite:///tmp/x.sqlite'), {
        dialect: 'sqlite',
        path: '///tmp/x.sqlite',
      });
      assert.equal(parseDatabaseUrl('postgresql://u:p@h/db').dialect, 'postgres');
      throwsConfig(() => parseDatabaseUrl('redis://x', 'APP_DB'), /^APP_DB must be sqlite:PATH/);
    });
  });

  describe('maskUrl', () => {
    it('hides passwords in the user info and in the query, and leaves other URLs as written', () => {
      assert.equal(
        maskUrl('postgres://cds:cds@127.0.0.1:5432/cds_test'),
        'postgres://cds:***@127.0.0.1:5432/cds_test',
      );
      assert.ok(!maskUrl('postgres://u@h/db?password=topsecret').includes('topsecret'));
      assert.equal(maskUrl('sqlite:./data/cds é.sqlite'), 'sqlite:./data/cds é.sqlite');
      assert.equal(maskUrl('not a url'), '<invalid URL>');
    });
  });
});
