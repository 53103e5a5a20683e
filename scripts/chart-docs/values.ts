/**
 * The Helm chart's values table from the `# --` comments of values.yaml (helm-docs style: the comment right
 * above a key documents it, and a documented map is one row). Pure: scripts/chart-docs.ts reads and writes
 * the files, test/delivery/chart-docs.test.ts checks every value is documented.
 */
import YAML, { type Node, type YAMLMap } from 'yaml';

export interface ValueRow {
  key: string;
  type: string;
  default: unknown;
  description: string;
}

/** The doc comment of a pair: the last paragraph of the comment above it, when it starts with `--`. */
function docComment(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined;
  const paragraph = comment.split(/\n\s*\n/).pop() ?? '';
  const lines = paragraph.split('\n').map((l) => l.replace(/^ ?/, ''));
  if (!lines[0]?.startsWith('-- ')) return undefined;
  return lines.join(' ').slice(3).replace(/\s+/g, ' ').trim();
}

const jsonOf = (node: unknown): unknown => (YAML.isNode(node) ? (node as Node).toJSON() : node);

function typeOf(node: unknown): string {
  const value = jsonOf(node);
  if (Array.isArray(value)) return 'list';
  if (value === null || value === undefined) return 'string';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'number';
  if (typeof value === 'boolean') return 'bool';
  return 'string';
}

/** Rows of the values table in file order, and the paths of values nobody documented. */
export function valuesDoc(text: string): { rows: ValueRow[]; undocumented: string[] } {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`values.yaml: ${doc.errors[0]?.message}`);
  const rows: ValueRow[] = [];
  const undocumented: string[] = [];
  const walk = (map: YAMLMap, prefix: string): void => {
    map.items.forEach((pair, i) => {
      const keyNode = pair.key as Node & { value?: unknown };
      const key = `${prefix}${String(keyNode.value)}`;
      const comment = keyNode.commentBefore ?? (i === 0 ? map.commentBefore : undefined);
      const description = docComment(comment);
      if (description) {
        rows.push({ key, type: typeOf(pair.value), default: jsonOf(pair.value) ?? null, description });
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

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** A default as a code span; long objects and lists are left to values.yaml, where they are commented. */
function defaultCell(value: unknown): string {
  const json = JSON.stringify(value);
  return json.length > 60 ? 'see values.yaml' : `\`${cell(json)}\``;
}

/** The markdown table (compact: prettier aligns it in the chart README). */
export function table(rows: readonly ValueRow[]): string {
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const r of rows) {
    lines.push(`| \`${r.key}\` | ${r.type} | ${defaultCell(r.default)} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}

/** `text` with the block between <!-- NAME:start --> and <!-- NAME:end --> replaced; `where` names it in errors. */
export function replaceBlock(text: string, name: string, content: string, where: string): string {
  const re = new RegExp(`(<!-- ${name}:start -->)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!re.test(text)) throw new Error(`${where} has no <!-- ${name}:start --> … <!-- ${name}:end --> block`);
  return text.replace(re, (_m, start: string, end: string) => `${start}\n${content}\n${end}`);
}
