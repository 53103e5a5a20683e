import { z } from 'zod';

/** The answer to a batch of readings: what Kafka acknowledged, and each refused item with its reason. */
export const readingsBatchResponse = z
  .object({
    accepted: z
      .array(z.string())
      .describe('event_id of every accepted item, in the order sent (assigned where the item had none).'),
    rejected: z
      .array(
        z.object({
          index: z
            .number()
            .int()
            .describe('Position of the item in the array, or line number - 1 in NDJSON.'),
          code: z.enum([
            'INVALID_JSON',
            'SCHEMA_VIOLATION',
            'FUTURE_EVENT_TIME',
            'MESSAGE_TOO_LARGE',
            'SITE_NOT_ALLOWED',
          ]),
          reason: z.string(),
        }),
      )
      .describe('Items not published, with why; the others were published all the same.'),
  })
  .meta({ id: 'ReadingsBatchResult' });
export type ReadingsBatchResult = z.infer<typeof readingsBatchResponse>;
