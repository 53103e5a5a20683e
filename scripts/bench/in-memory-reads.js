'use strict';
// Preloaded with `node --require` by api-cpu.js --in-memory: every read a pg pool makes (SELECT or WITH
// through pool.query) is sent to PostgreSQL once, then answered from memory for the same SQL and
// parameters. The servers keep all their own code (routing, validation, row mapping, serialisation), but
// no longer wait for the database, nor parse its rows, so their CPU per request is the HTTP path alone,
// free of the noise a busy database adds. Writes, transactions and LISTEN go through unchanged.
const pg = require('pg');

const READ = /^\s*(SELECT|WITH)\b/i;
const original = pg.Pool.prototype.query;
const answers = new Map();

pg.Pool.prototype.query = function query(sql, params, callback) {
  if (typeof sql !== 'string' || !READ.test(sql) || typeof params === 'function' || callback) {
    return original.apply(this, arguments);
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
