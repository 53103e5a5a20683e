import type pg from 'pg';

const texts = new Map<string, string>();

/**
 * A statement sent under a name, which PostgreSQL parses and plans once per connection and then only binds
 * and executes: for the processor's dozen statements per batch that saves the server their parse and plan
 * (6 % of its CPU in a drain) and the wire most of their bytes. node-postgres refuses a second text under a
 * name it already prepared on a connection, so a name is taken once, here, when the module defining it loads.
 * Named statements need a session per connection: a transaction pooler (PgBouncer before 1.21, or without
 * max_prepared_statements) does not keep them, as it does not keep the processor's advisory locks.
 */
export function namedStatement(name: string, text: string): (values: readonly unknown[]) => pg.QueryConfig {
  const taken = texts.get(name);
  if (taken !== undefined && taken !== text)
    throw new Error(`statement name ${name} is taken by another text`);
  texts.set(name, text);
  return (values) => ({ name, text, values: [...values] });
}
