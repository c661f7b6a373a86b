import { z } from 'zod';
import { worldObjectSchema } from './schema.js';

/**
 * The JSON Schema editors use to check world files (worlds/world.schema.json). Generated from the zod
 * schema in input mode, so fields with defaults are optional, as in the files people write.
 */
export function worldJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(worldObjectSchema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return {
    $schema: schema.$schema,
    title: 'Intacct Connect emulator world',
    description:
      'A world file for the Intacct emulator (YAML or JSON): senders, OAuth clients, companies, faults and behaviour switches.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
    // Top-level keys starting with x- hold YAML anchors and notes (see worlds/demo.yaml).
    patternProperties: { '^x-': {} },
  };
}

export function worldJsonSchemaText(): string {
  return `${JSON.stringify(worldJsonSchema(), null, 2)}\n`;
}
