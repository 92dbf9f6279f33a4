// Test support: every relay suite runs once per database (DESIGN.md section 5: tested on both).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { connectionUrl } from '../src/settings/connections.js';
import { openStore, type DialectName, type Store } from '../src/db/connect.js';

/** A fresh, empty, migrated store and the URL that reaches it; `dispose()` removes it. */
export interface TestDatabase {
  dialect: DialectName;
  url: string;
  open(): Promise<Store>;
  dispose(): Promise<void>;
}

async function sqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'cds-sqlite-'));
  const url = `sqlite:${join(dir, 'cds.sqlite')}`;
  return {
    dialect: 'sqlite',
    url,
    open: () => openStore(url),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A private PostgreSQL schema per test database, selected through the connection's search_path. */
async function postgresDatabase(): Promise<TestDatabase> {
  const base = connectionUrl('TEST_POSTGRES_URL');
  const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    dialect: 'postgres',
    url: url.toString(),
    open: () => openStore(url.toString(), { poolSize: 4 }),
    dispose: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

export const TEST_DIALECTS: DialectName[] = ['sqlite', 'postgres'];

export function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  return dialect === 'sqlite' ? sqliteDatabase() : postgresDatabase();
}

/**
 * Declares `suite` once per database, with a fresh store for each test:
 * `forEachDatabase('the event log', (ctx) => { it('...', async () => ctx.store ...) })`.
 */
export function forEachDatabase(
  title: string,
  suite: (ctx: { store: Store; database: TestDatabase }) => void,
): void {
  for (const dialect of TEST_DIALECTS) {
    describe(`${title} (${dialect})`, () => {
      const ctx = {} as { store: Store; database: TestDatabase };
      beforeEach(async () => {
        ctx.database = await createTestDatabase(dialect);
        ctx.store = await ctx.database.open();
      });
      afterEach(async () => {
        await ctx.store?.close();
        await ctx.database?.dispose();
      });
      suite(ctx);
    });
  }
}
