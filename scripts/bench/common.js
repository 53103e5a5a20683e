'use strict';
// Helpers shared by the benchmark scripts (plain JS over the compiled services; run through
// scripts/with-infra.sh so Kafka, PostgreSQL and dist/ exist).
const { randomBytes } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { Kafka, logLevel } = require('kafkajs');
const pg = require('pg');

const BROKERS = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://telemetry:telemetry@127.0.0.1:5432/telemetry';

const uid = (prefix) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const kafka = () => new Kafka({ clientId: 'bench', brokers: BROKERS, logLevel: logLevel.NOTHING });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** A scratch database on the real server, dropped by `drop()`. */
async function scratchDatabase() {
  const name = uid('tp_bench').replace(/-/g, '_');
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function withAdmin(fn) {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Resident set size of a process in MiB, from /proc. */
function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

module.exports = {
  BROKERS,
  ADMIN_URL,
  uid,
  kafka,
  sleep,
  fmt,
  scratchDatabase,
  withAdmin,
  rssMiB,
  percentile,
};
