// Preloaded with `node --import` by api-cpu.ts --in-memory: every read a pg pool makes (SELECT or WITH
// through pool.query) is sent to PostgreSQL once, then answered from memory for the same SQL and
// parameters. The servers keep all their own code (routing, validation, row mapping, serialisation), but
// no longer wait for the database, nor parse its rows, so their CPU per request is the HTTP path alone,
// free of the noise a busy database adds. Writes, transactions and LISTEN go through unchanged.
// The servers load pg with require(): the import below is the same CommonJS module object, so patching its
// Pool prototype here reaches them.
import pg from 'pg';

const READ = /^\s*(SELECT|WITH)\b/i;
type Query = (this: pg.Pool, ...args: unknown[]) => Promise<pg.QueryResult>;
const original = pg.Pool.prototype.query as unknown as Query;
const answers = new Map<string, Promise<pg.QueryResult>>();

const memoised: Query = function query(this: pg.Pool, ...args: unknown[]) {
  const [sql, params, callback] = args;
  if (typeof sql !== 'string' || !READ.test(sql) || typeof params === 'function' || callback) {
    return original.apply(this, args);
  }
  const key = `${sql}\0${JSON.stringify(params ?? [])}`;
  let answer = answers.get(key);
  if (answer === undefined) {
    answer = original.call(this, sql, params);
    answers.set(key, answer);
    answer.catch(() => answers.delete(key)); // a failed read is tried again next time
  }
  return answer;
};
pg.Pool.prototype.query = memoised as unknown as typeof pg.Pool.prototype.query;
