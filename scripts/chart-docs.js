#!/usr/bin/env node
'use strict';
// The values table of the Helm chart, generated from the `# --` comments of charts/telemetry-pulse/values.yaml
// (helm-docs style: the comment right above a key documents it, and a documented map is one row), written
// between <!-- values:start --> and <!-- values:end --> in the chart's README.md, the one place it is written
// (docs/deploy/helm.md links to it).
//
//   node scripts/chart-docs.js           rewrite the table
//   node scripts/chart-docs.js --check   exit 1 when a table is stale or a value is undocumented
//
// test/delivery/chart-docs.test.ts runs the check. The chart README is formatted by prettier like every
// other markdown file, so the check compares against prettier's output.
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const ROOT = path.join(__dirname, '..');
const CHART = path.join(ROOT, 'charts', 'telemetry-pulse');
const VALUES = path.join(CHART, 'values.yaml');
const CHART_README = path.join(CHART, 'README.md');

/** The doc comment of a pair: the last paragraph of the comment above it, when it starts with `--`. */
function docComment(comment) {
  if (!comment) return undefined;
  const paragraph = comment.split(/\n\s*\n/).pop() ?? '';
  const lines = paragraph.split('\n').map((l) => l.replace(/^ ?/, ''));
  if (!lines[0]?.startsWith('-- ')) return undefined;
  return lines.join(' ').slice(3).replace(/\s+/g, ' ').trim();
}

/**
 * Rows of the values table in file order, and the paths of values nobody documented.
 * @returns {{ rows: { key: string, type: string, default: unknown, description: string }[], undocumented: string[] }}
 */
function valuesDoc(text) {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`values.yaml: ${doc.errors[0].message}`);
  const rows = [];
  const undocumented = [];
  const walk = (map, prefix) => {
    map.items.forEach((pair, i) => {
      const key = `${prefix}${pair.key.value}`;
      const comment = pair.key.commentBefore ?? (i === 0 ? map.commentBefore : undefined);
      const description = docComment(comment);
      if (description) {
        rows.push({ key, type: typeOf(pair.value), default: pair.value?.toJSON?.() ?? null, description });
      } else if (YAML.isMap(pair.value) && pair.value.items.length > 0) {
        walk(pair.value, `${key}.`);
      } else {
        undocumented.push(key);
      }
    });
  };
  // The file's header comment sits on the document when the first key has its own comment.
  if (YAML.isMap(doc.contents)) walk(doc.contents, '');
  return { rows, undocumented };
}

function typeOf(node) {
  const value = node?.toJSON?.();
  if (Array.isArray(value)) return 'list';
  if (value === null || value === undefined) return 'string';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'number';
  if (typeof value === 'boolean') return 'bool';
  return 'string';
}

const cell = (s) => s.replace(/\|/g, '\\|');

/** A default as a code span; long objects and lists are left to values.yaml, where they are commented. */
function defaultCell(value) {
  const json = JSON.stringify(value);
  return json.length > 60 ? 'see values.yaml' : `\`${cell(json)}\``;
}

/** The markdown table (compact: prettier aligns it in the chart README). */
function table(rows) {
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const r of rows) {
    lines.push(`| \`${r.key}\` | ${r.type} | ${defaultCell(r.default)} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}

function replaceBlock(text, name, content, file) {
  const re = new RegExp(`(<!-- ${name}:start -->)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!re.test(text))
    throw new Error(
      `${path.relative(ROOT, file)} has no <!-- ${name}:start --> … <!-- ${name}:end --> block`,
    );
  return text.replace(re, (_m, start, end) => `${start}\n${content}\n${end}`);
}

/** The chart README as it should be. */
async function render() {
  const { rows, undocumented } = valuesDoc(readFileSync(VALUES, 'utf8'));
  const md = table(rows);
  const prettier = require('prettier');
  const options = { ...(await prettier.resolveConfig(CHART_README)), filepath: CHART_README };
  const chart = await prettier.format(
    replaceBlock(readFileSync(CHART_README, 'utf8'), 'values', md, CHART_README),
    options,
  );
  return { undocumented, files: [[CHART_README, chart]] };
}

async function main(argv) {
  if (argv.includes('--help')) {
    console.log('Usage: node scripts/chart-docs.js [--check]');
    return 0;
  }
  const { undocumented, files } = await render();
  if (undocumented.length > 0) {
    console.error(`values.yaml: no "# --" comment above ${undocumented.join(', ')}`);
    return 1;
  }
  const stale = files.filter(([file, next]) => readFileSync(file, 'utf8') !== next);
  if (argv.includes('--check')) {
    for (const [file] of stale)
      console.error(
        `${path.relative(ROOT, file)}: the chart values table is stale: run node scripts/chart-docs.js`,
      );
    return stale.length > 0 ? 1 : 0;
  }
  for (const [file, next] of stale) {
    writeFileSync(file, next);
    console.log(`${path.relative(ROOT, file)} updated`);
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`chart-docs: ${err.message}`);
      process.exit(1);
    },
  );
}

module.exports = { valuesDoc, table };
