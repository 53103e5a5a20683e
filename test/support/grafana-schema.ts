/**
 * Structural checks of a Grafana dashboard against Grafana's published Dashboard schema
 * (grafana/grafana kinds/dashboard/dashboard_kind.cue, lineage 0.0: the schema that carries
 * `schemaVersion` as a field, default 36, and that the project's schemaVersion 39 dashboards are under).
 * Written from that schema's facts, not copied: field types, enumerations, ranges, and which
 * definitions are closed (#Panel, #RowPanel, #GridPos, #FieldConfig, #DataSourceRef… admit no other field;
 * the dashboard itself and #VariableModel are open). Answers the problems found, as "path: what".
 */
type Json = unknown;
type Obj = Record<string, Json>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: Json, max: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
const UINT16 = 65_535;
const UINT32 = 4_294_967_295;

const VARIABLE_TYPES = [
  'query',
  'adhoc',
  'constant',
  'datasource',
  'interval',
  'textbox',
  'custom',
  'system',
];
const MAPPING_TYPES = ['value', 'range', 'regex', 'special'];

const PANEL_FIELDS = [
  'type',
  'id',
  'pluginVersion',
  'tags',
  'targets',
  'title',
  'description',
  'transparent',
  'datasource',
  'gridPos',
  'links',
  'repeat',
  'repeatDirection',
  'repeatPanelId',
  'maxDataPoints',
  'thresholds',
  'timeRegions',
  'transformations',
  'interval',
  'timeFrom',
  'timeShift',
  'libraryPanel',
  'options',
  'fieldConfig',
];
const ROW_FIELDS = ['type', 'collapsed', 'title', 'datasource', 'gridPos', 'id', 'panels', 'repeat'];
const FIELD_CONFIG_FIELDS = [
  'displayName',
  'displayNameFromDS',
  'description',
  'path',
  'writeable',
  'filterable',
  'unit',
  'decimals',
  'min',
  'max',
  'mappings',
  'thresholds',
  'color',
  'links',
  'noValue',
  'custom',
];

export function dashboardSchemaProblems(dashboard: Json): string[] {
  const problems: string[] = [];
  const fail = (at: string, what: string) => problems.push(`${at}: ${what}`);
  const closed = (v: Obj, allowed: readonly string[], at: string) => {
    for (const k of Object.keys(v)) if (!allowed.includes(k)) fail(`${at}.${k}`, 'not in the schema');
  };
  const optional = (v: Obj, key: string, at: string, ok: (x: Json) => boolean, what: string) => {
    if (key in v && !ok(v[key])) fail(`${at}.${key}`, `must be ${what}`);
  };
  const str = (x: Json) => typeof x === 'string';
  const bool = (x: Json) => typeof x === 'boolean';
  const num = (x: Json) => typeof x === 'number';
  const strings = (x: Json) => Array.isArray(x) && x.every(str);

  const datasourceRef = (v: Json, at: string) => {
    if (!isObj(v)) return fail(at, 'must be an object {type?, uid?}');
    closed(v, ['type', 'uid'], at);
    optional(v, 'type', at, str, 'a string');
    optional(v, 'uid', at, str, 'a string');
  };
  const gridPos = (v: Json, at: string) => {
    if (!isObj(v)) return fail(at, 'must be an object');
    closed(v, ['h', 'w', 'x', 'y', 'static'], at);
    if (!(isUint(v['h'], UINT32) && (v['h'] as number) > 0)) fail(`${at}.h`, 'must be a uint32 > 0');
    if (!(isUint(v['w'], 24) && (v['w'] as number) > 0)) fail(`${at}.w`, 'must be 1..24');
    if (!isUint(v['x'], 23)) fail(`${at}.x`, 'must be 0..23');
    if (!isUint(v['y'], UINT32)) fail(`${at}.y`, 'must be a uint32');
    optional(v, 'static', at, bool, 'a boolean');
  };
  const fieldConfig = (v: Json, at: string) => {
    if (!isObj(v)) return fail(at, 'must be an object');
    closed(v, FIELD_CONFIG_FIELDS, at);
    for (const k of ['displayName', 'displayNameFromDS', 'description', 'path', 'unit', 'noValue']) {
      optional(v, k, at, str, 'a string');
    }
    for (const k of ['decimals', 'min', 'max']) optional(v, k, at, num, 'a number');
    for (const k of ['writeable', 'filterable']) optional(v, k, at, bool, 'a boolean');
    optional(v, 'custom', at, isObj, 'an object');
    optional(v, 'links', at, Array.isArray, 'an array');
    const t = v['thresholds'];
    if (t !== undefined) {
      if (!isObj(t)) fail(`${at}.thresholds`, 'must be an object');
      else {
        closed(t, ['mode', 'steps'], `${at}.thresholds`);
        if (!['absolute', 'percentage'].includes(String(t['mode']))) {
          fail(`${at}.thresholds.mode`, 'must be absolute or percentage');
        }
        const steps = t['steps'];
        if (!Array.isArray(steps)) fail(`${at}.thresholds.steps`, 'must be an array');
        else {
          steps.forEach((s: Json, i) => {
            const sat = `${at}.thresholds.steps[${i}]`;
            if (!isObj(s)) return fail(sat, 'must be an object');
            closed(s, ['value', 'color', 'index', 'state'], sat);
            if (!str(s['color'])) fail(`${sat}.color`, 'is required, a string');
            // null stands for -Infinity in saved JSON (the schema's FIXME); a number otherwise.
            if ('value' in s && s['value'] !== null && !num(s['value']))
              fail(`${sat}.value`, 'must be a number');
          });
        }
      }
    }
    const c = v['color'];
    if (c !== undefined) {
      if (!isObj(c)) fail(`${at}.color`, 'must be an object');
      else {
        closed(c, ['mode', 'fixedColor', 'seriesBy'], `${at}.color`);
        if (!str(c['mode'])) fail(`${at}.color.mode`, 'is required, a string');
        optional(
          c,
          'seriesBy',
          `${at}.color`,
          (x) => ['min', 'max', 'last'].includes(String(x)),
          'min|max|last',
        );
      }
    }
    const m = v['mappings'];
    if (m !== undefined) {
      if (!Array.isArray(m)) fail(`${at}.mappings`, 'must be an array');
      else {
        m.forEach((x: Json, i) => {
          if (!isObj(x) || !MAPPING_TYPES.includes(String(x['type'])) || !isObj(x['options'])) {
            fail(`${at}.mappings[${i}]`, `must be {type: ${MAPPING_TYPES.join('|')}, options}`);
          }
        });
      }
    }
  };
  const panel = (p: Json, at: string, inRow: boolean) => {
    if (!isObj(p)) return fail(at, 'must be an object');
    const type = p['type'];
    if (type === 'row') {
      if (inRow) fail(at, 'a row inside a row');
      closed(p, ROW_FIELDS, at);
      optional(p, 'collapsed', at, bool, 'a boolean');
      optional(p, 'title', at, str, 'a string');
      if (!isUint(p['id'], UINT32)) fail(`${at}.id`, 'is required, a uint32');
      if ('datasource' in p) datasourceRef(p['datasource'], `${at}.datasource`);
      if ('gridPos' in p) gridPos(p['gridPos'], `${at}.gridPos`);
      if (!Array.isArray(p['panels'])) fail(`${at}.panels`, 'is required, an array');
      else p['panels'].forEach((c: Json, i) => panel(c, `${at}.panels[${i}]`, true));
      return;
    }
    if (type === 'graph' || type === 'heatmap') return; // the legacy panels are open in the schema
    if (!(str(type) && type.length > 0)) fail(`${at}.type`, 'is required, a non-empty string');
    closed(p, PANEL_FIELDS, at);
    optional(p, 'id', at, (x) => isUint(x, UINT32), 'a uint32');
    for (const k of [
      'pluginVersion',
      'title',
      'description',
      'repeat',
      'interval',
      'timeFrom',
      'timeShift',
    ]) {
      optional(p, k, at, str, 'a string');
    }
    optional(p, 'tags', at, strings, 'an array of strings');
    optional(p, 'transparent', at, bool, 'a boolean');
    optional(p, 'repeatDirection', at, (x) => x === 'h' || x === 'v', 'h or v');
    optional(p, 'maxDataPoints', at, num, 'a number');
    optional(p, 'options', at, isObj, 'an object');
    optional(p, 'targets', at, (x) => Array.isArray(x) && x.every(isObj), 'an array of objects');
    optional(
      p,
      'transformations',
      at,
      (x) => Array.isArray(x) && x.every((t) => isObj(t) && str(t['id'])),
      'an array of {id, options}',
    );
    if ('datasource' in p) datasourceRef(p['datasource'], `${at}.datasource`);
    if ('gridPos' in p) gridPos(p['gridPos'], `${at}.gridPos`);
    const fc = p['fieldConfig'];
    if (fc !== undefined) {
      if (!isObj(fc)) fail(`${at}.fieldConfig`, 'must be an object');
      else {
        closed(fc, ['defaults', 'overrides'], `${at}.fieldConfig`);
        fieldConfig(fc['defaults'], `${at}.fieldConfig.defaults`);
        const o = fc['overrides'];
        if (!Array.isArray(o)) fail(`${at}.fieldConfig.overrides`, 'is required, an array');
        else {
          o.forEach((x: Json, i) => {
            const oat = `${at}.fieldConfig.overrides[${i}]`;
            if (!isObj(x) || !isObj(x['matcher']) || !Array.isArray(x['properties'])) {
              fail(oat, 'must be {matcher: {id, options?}, properties: [{id, value?}]}');
            }
          });
        }
      }
    }
  };

  if (!isObj(dashboard)) return ['dashboard: must be an object'];
  const d = dashboard;
  for (const k of ['uid', 'title', 'description', 'timezone', 'weekStart', 'gnetId'])
    optional(d, k, '', str, 'a string');
  for (const k of ['editable', 'liveNow']) optional(d, k, '', bool, 'a boolean');
  optional(d, 'id', '', (x) => x === null || Number.isInteger(x), 'an integer');
  optional(d, 'tags', '', strings, 'an array of strings');
  optional(d, 'style', '', (x) => x === 'light' || x === 'dark', 'light or dark');
  optional(d, 'graphTooltip', '', (x) => x === 0 || x === 1 || x === 2, '0, 1 or 2');
  optional(d, 'refresh', '', (x) => str(x) || x === false, 'a string or false');
  optional(d, 'version', '', (x) => isUint(x, UINT32), 'a uint32');
  optional(d, 'fiscalYearStartMonth', '', (x) => isUint(x, 11), '0..11');
  if (!isUint(d['schemaVersion'], UINT16)) fail('.schemaVersion', 'is required here, a uint16');
  const time = d['time'];
  if (time !== undefined && !(isObj(time) && str(time['from']) && str(time['to']))) {
    fail('.time', 'must be {from, to} strings');
  }
  const panels = d['panels'];
  if (panels !== undefined) {
    if (!Array.isArray(panels)) fail('.panels', 'must be an array');
    else panels.forEach((p: Json, i) => panel(p, `.panels[${i}]`, false));
  }
  const templating = d['templating'];
  if (templating !== undefined) {
    const list = isObj(templating) ? templating['list'] : undefined;
    if (!Array.isArray(list)) fail('.templating.list', 'must be an array');
    else {
      list.forEach((v: Json, i) => {
        const at = `.templating.list[${i}]`;
        if (!isObj(v)) return fail(at, 'must be an object');
        if (!VARIABLE_TYPES.includes(String(v['type'])))
          fail(`${at}.type`, `must be ${VARIABLE_TYPES.join('|')}`);
        if (!str(v['name'])) fail(`${at}.name`, 'is required, a string');
        optional(v, 'label', at, str, 'a string');
        optional(v, 'description', at, str, 'a string');
        optional(v, 'hide', at, (x) => x === 0 || x === 1 || x === 2, '0, 1 or 2');
        for (const k of ['global', 'skipUrlSync']) optional(v, k, at, bool, 'a boolean');
        optional(v, 'query', at, (x) => str(x) || isObj(x), 'a string or an object');
        if ('datasource' in v && v['datasource'] !== null) datasourceRef(v['datasource'], `${at}.datasource`);
      });
    }
  }
  const annotations = d['annotations'];
  if (annotations !== undefined) {
    const list = isObj(annotations) ? annotations['list'] : undefined;
    if (!Array.isArray(list)) fail('.annotations.list', 'must be an array');
    else {
      list.forEach((a: Json, i) => {
        const at = `.annotations.list[${i}]`;
        if (!isObj(a) || !str(a['name']) || !isObj(a['datasource']) || !str(a['iconColor'])) {
          fail(at, 'must have name, datasource and iconColor');
        }
      });
    }
  }
  const links = d['links'];
  if (links !== undefined) {
    if (!Array.isArray(links)) fail('.links', 'must be an array');
    else {
      links.forEach((l: Json, i) => {
        if (!isObj(l) || !['link', 'dashboards'].includes(String(l['type'])) || !str(l['title'])) {
          fail(`.links[${i}]`, 'must have a title and type link|dashboards');
        }
      });
    }
  }
  return problems;
}
