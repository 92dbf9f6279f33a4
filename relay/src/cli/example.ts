import type { Command } from 'commander';
import { ENTITY_TYPES, exampleEvent, InvalidConfig, isEntityType } from '@cds/shared';
import { print } from './output.js';

export function registerExample(program: Command): void {
  program
    .command('example')
    .description(
      `print valid unsigned SyncEvents as JSON lines, e.g. "cds example grade | cds send --producer test -" (entities: ${ENTITY_TYPES.join(', ')})`,
    )
    .argument('<entity>', 'the entity type')
    .option('--count <n>', 'how many (distinct ids and keys)', '1')
    .option('--start <n>', 'sequence number of the first (a different start gives other keys)', '1')
    .action((entity: string, options: { count: string; start: string }) => {
      if (!isEntityType(entity))
        throw new InvalidConfig(
          `unknown entity "${entity}": use one of ${ENTITY_TYPES.join(', ')}`,
        );
      const count = positiveInteger(options.count, '--count');
      const start = positiveInteger(options.start, '--start');
      for (let seq = start; seq < start + count; seq++)
        print(JSON.stringify(exampleEvent(entity, seq)));
    });
}

export function positiveInteger(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidConfig(`${name} must be a whole number of at least 1 (got "${text}")`);
  return value;
}
