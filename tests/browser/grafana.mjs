// Metric names named by a Grafana dashboard's PromQL queries, and the series a /metrics text serves.
// Used by dashboard_test.mjs on config/grafana/warren.json against a live Warren; also runnable:
//   node grafana.mjs DASHBOARD.json METRICS.txt   (exit 1 and the missing names when any is missing)
import fs from 'node:fs';

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless',
  'bool', 'offset', 'inf', 'nan']);

/// Metric names in one PromQL expression: identifiers outside strings, label matchers, ranges and
/// grouping clauses that are not functions (followed by '(') or keywords.
export function metricsInExpr(expr) {
  let e = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');  // string literals
  e = e.replace(/\{[^}]*\}/g, ' ');                                     // label matchers
  e = e.replace(/\[[^\]]*\]/g, ' ');                                    // range selectors
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set();
  for (const m of e.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = e.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(')) continue;  // a function
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    if (/^\d/.test(m[0])) continue;
    names.add(m[0]);
  }
  return names;
}

/// Every metric the dashboard's panels and template variables query: name → [where].
export function dashboardMetrics(dashboard) {
  const out = new Map();
  const add = (name, where) => { if (!out.has(name)) out.set(name, []); out.get(name).push(where); };
  const walk = (panels) => {
    for (const p of panels || []) {
      for (const t of p.targets || []) if (t.expr) for (const n of metricsInExpr(t.expr)) add(n, `panel "${p.title}" ${t.refId}`);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  for (const v of (dashboard.templating && dashboard.templating.list) || []) {
    const q = typeof v.query === 'string' ? v.query : v.query && v.query.query;
    if (v.type !== 'query' || !q) continue;
    const lv = q.match(/^\s*label_values\(\s*(.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/);
    for (const n of metricsInExpr(lv ? lv[1] : q)) add(n, `variable ${v.name}`);
  }
  return out;
}

/// Names of the series a Prometheus text exposition serves (samples and # TYPE lines).
export function servedMetrics(text) {
  const names = new Set();
  for (const line of text.split('\n')) {
    const t = line.match(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) /);
    if (t) { names.add(t[1]); continue; }
    if (line.startsWith('#') || !line.trim()) continue;
    const s = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)/);
    if (s) names.add(s[1]);
  }
  return names;
}

/// [name, where] pairs the dashboard queries but /metrics does not serve.
export function missingMetrics(dashboard, metricsText) {
  const served = servedMetrics(metricsText);
  return [...dashboardMetrics(dashboard)].filter(([n]) => !served.has(n));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()) && process.argv.length === 4) {
  const missing = missingMetrics(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')), fs.readFileSync(process.argv[3], 'utf8'));
  for (const [n, where] of missing) console.log(`missing: ${n} (${where.join(', ')})`);
  process.exit(missing.length ? 1 : 0);
}
