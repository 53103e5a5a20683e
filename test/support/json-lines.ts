/**
 * The keys a JSON object line names more than once at its top level. JSON.parse keeps the last of them
 * silently, but stricter consumers refuse the whole line (Elasticsearch: "Duplicate field"), and pino
 * writes a binding repeated by a child logger twice.
 */
export function repeatedTopLevelKeys(line: string): string[] {
  const seen = new Set<string>();
  const repeated: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i];
    if (ch === '"') {
      let end = i + 1;
      while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      // A key is a string at depth 1 followed by a colon (no whitespace in compact JSON, but allow it).
      let next = end + 1;
      while (line[next] === ' ') next += 1;
      if (depth === 1 && line[next] === ':') {
        const key = JSON.parse(line.slice(i, end + 1)) as string;
        if (seen.has(key)) repeated.push(key);
        seen.add(key);
      }
      i = end;
    } else if (ch === '{' || ch === '[') depth += 1;
    else if (ch === '}' || ch === ']') depth -= 1;
  }
  return repeated;
}
