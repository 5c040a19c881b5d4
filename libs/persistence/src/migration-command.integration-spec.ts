import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@flowline/testing';
import { runMigrationCommand } from './migration-command';
import { createServiceDataSource } from './service-data-source';

@Entity({ name: 'gadget' })
class Gadget {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'jsonb' }) attributes!: Record<string, unknown>;
}

describe('runMigrationCommand', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase('migcmd');
    dir = await mkdtemp(path.join(tmpdir(), 'flowline-migrations-'));
  });
  afterAll(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const dataSource = () =>
    createServiceDataSource({ url: db.url, schema: 'gen', entities: [Gadget], migrations: [], applicationName: 'test' });

  it('generates a migration holding exactly the missing DDL, with its reverse', async () => {
    const ds = dataSource();
    const report = await runMigrationCommand(ds, 'generate', { name: 'AddGadget', migrationsDir: dir, now: () => 1765000000000 });
    await ds.destroy();
    expect(report).toBe(
      `wrote ${path.join(dir, '1765000000000-AddGadget.ts')}: add AddGadget1765000000000 to the list in migrations/index.ts`,
    );
    expect(await readdir(dir)).toEqual(['1765000000000-AddGadget.ts']);
    const source = await readFile(path.join(dir, '1765000000000-AddGadget.ts'), 'utf8');
    expect(source).toContain('export class AddGadget1765000000000 implements MigrationInterface');
    expect(source).toMatch(/CREATE TABLE \\"gen\\"\.\\"gadget\\" \(\\"id\\" text NOT NULL, \\"attributes\\" jsonb NOT NULL/);
    expect(source).toContain('DROP TABLE \\"gen\\".\\"gadget\\"');
  });

  it('says when there is nothing to generate, and refuses a bad name or verb', async () => {
    const ds = createServiceDataSource({ url: db.url, schema: 'empty', entities: [], migrations: [], applicationName: 'test' });
    expect(await runMigrationCommand(ds, 'generate', { name: 'Nothing', migrationsDir: dir })).toBe(
      'no changes: the entities match the migrations',
    );
    await expect(runMigrationCommand(ds, 'generate', { name: 'lower', migrationsDir: dir })).rejects.toThrow(
      'generate needs --name=<PascalCaseName>',
    );
    await expect(runMigrationCommand(ds, 'upgrade', { migrationsDir: dir })).rejects.toThrow(
      "unknown migration command 'upgrade': expected run, revert, show or generate --name=<Name>",
    );
    await ds.destroy();
  });
});
