/**
 * Rows a raw statement returned (`RETURNING o.*`) as entities, converted the way TypeORM reads
 * them (bigint as text, jsonb parsed, timestamps as dates), so a claim needs no second read.
 */
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

export function hydrate<T extends ObjectLiteral>(
  dataSource: DataSource,
  target: EntityTarget<T>,
  raws: Array<Record<string, unknown>>,
): T[] {
  const metadata = dataSource.getMetadata(target);
  const driver = dataSource.driver;
  return raws.map((raw) => {
    const entity = metadata.create() as T;
    for (const column of metadata.columns) {
      if (!(column.databaseName in raw)) continue;
      column.setEntityValue(entity, driver.prepareHydratedValue(raw[column.databaseName], column));
    }
    return entity;
  });
}
