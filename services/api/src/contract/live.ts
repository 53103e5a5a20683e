import { z } from 'zod';
import { instant } from './common';

export const streamTokenSchema = z
  .object({
    token: z.string().describe('Pass as `token` to GET /api/v1/stream, which then needs no key header.'),
    expires_at: instant('After this instant the token opens no stream (about a minute).'),
  })
  .meta({ id: 'StreamToken' });

export type StreamToken = z.infer<typeof streamTokenSchema>;
