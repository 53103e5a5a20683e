import type { Pool } from 'pg';
import { databaseCheck } from '../../../services/shared/src/db/readiness';

/** The /readyz database check the processor and the API share (it was written in each). */
describe('databaseCheck', () => {
  it('is ok when the database answers, and names the error when it does not', async () => {
    const answering = { query: async () => ({ rows: [{ '?column?': 1 }] }) } as unknown as Pick<
      Pool,
      'query'
    >;
    const down = {
      query: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
    } as unknown as Pick<Pool, 'query'>;
    expect(await databaseCheck(answering)).toEqual({ ok: true });
    expect(await databaseCheck(down)).toEqual({ ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:5432' });
  });
});
