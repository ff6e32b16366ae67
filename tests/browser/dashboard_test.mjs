// Warren's dashboard in a real browser (issue 11). Run by ctest (integration.browser_dashboard):
//   node dashboard_test.mjs --fixture <warren_browser_fixture> --artifacts <dir>   (WARREN_BINARY set)
// The fixture starts a real broker, the real `warren` (with a read-token) and four consumer groups
// (fixture.cpp). Headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) is driven through
// puppeteer-core. Checks:
//   1. the page asks for the token, then lists every group (stream and API authenticated);
//   2. dash-stopper stops committing while production goes on: Warren turns it ERR, and the open
//      page shows it red within 2 s of that change, without a reload;
//   3. latency: dash-toggle goes OK → ERR up to 100 times (fewer if the time budget runs out);
//      each time, Warren's change is the evaluation that produced it (`warren.evaluated_at` of
//      the status message a separate stream client, this script, receives; its receive time when
//      absent), and "on the page" is when the board row's data-status turns ERR (a
//      MutationObserver the test adds to the page; same clock). p50/p99/max are printed, each must
//      be ≤ 2 s; also from the fixture switching the group's commits (the broker) to the page;
//   4. the group page (hash route, no reload) has its partitions and charts with data;
//   5. no console error, page error or failed request once the token was given.
// Screenshots (board light and dark, group page) and latency.json go to the artifacts folder.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dashboardMetrics, metricsInExpr, missingMetrics } from './grafana.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const inCI = process.env.CI === 'true';
const CHANGES = Number(process.env.WARREN_BROWSER_CHANGES || 100);
const LATENCY_BUDGET_MS = Number(process.env.WARREN_BROWSER_BUDGET_MS || 240000);
const LIMIT_MS = 2000;
const artifacts = args.artifacts || path.resolve('browser-artifacts');
fs.mkdirSync(artifacts, { recursive: true });
for (const f of fs.readdirSync(artifacts)) if (/\.(png|json|txt|log)$/.test(f)) fs.rmSync(path.join(artifacts, f));
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

function skip(why) {
  console.log(`browser_dashboard: ${why}`);
  if (inCI) { console.log('0 passed, 1 failed'); process.exit(1); }
  console.log('skipped (exit 77)');
  process.exit(77);
}
let puppeteer, WebSocket;
try {
  puppeteer = (await import('puppeteer-core')).default;
  WebSocket = (await import('ws')).default;
} catch (e) {
  skip(`puppeteer-core or ws not installed (npm ci in tests/browser): ${e.message}`);
}
if (!fs.existsSync(chromium)) skip(`no Chromium at ${chromium} (apt-get install chromium)`);
if (!args.fixture || !process.env.WARREN_BINARY) skip('usage: --fixture BIN --artifacts DIR with WARREN_BINARY set');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
async function until(what, fn, deadlineMs, everyMs = 50) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
// The board re-renders rows on every live change: a handle taken by page.click() can be detached
// before its click lands. Find and click in one task inside the page, retrying until it exists.
async function clickLive(page, selector, deadlineMs = 10000) {
  await until(`${selector} to click`, () => page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return false;
    el.click();
    return true;
  }, selector), deadlineMs);
}
const failures = [];
function check(ok, what) {
  if (ok) log(`ok: ${what}`);
  else { log(`FAILED: ${what}`); failures.push(what); }
}
const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

// ---- the fixture: broker, warren, groups ---------------------------------------------------------
const token = randomBytes(18).toString('base64');  // has '+' and '/' sometimes: the subprotocol form encodes it
const fixtureLog = fs.createWriteStream(path.join(artifacts, 'fixture.log'));
const fixture = spawn(args.fixture, ['--read-token', token], { stdio: ['pipe', 'pipe', 'pipe'] });
fixture.stderr.pipe(fixtureLog);
const lines = createInterface({ input: fixture.stdout });
const waiting = [];
let ready = null;
let fixtureExit = null;
lines.on('line', (line) => {
  fixtureLog.write(`stdout: ${line}\n`);
  if (line.startsWith('READY ')) ready = JSON.parse(line.slice(6));
  else if (line.startsWith('OK ') && waiting.length) waiting.shift()(line);
});
fixture.on('exit', (code) => { fixtureExit = code ?? -1; });
async function command(c) {
  const p = new Promise((resolve) => waiting.push(resolve));
  fixture.stdin.write(`${c}\n`);
  await Promise.race([p, sleep(10000).then(() => { throw new Error(`fixture did not answer ${c}`); })]);
}

let browser = null;
let observer = null;
let exitCode = 1;
try {
  await until('the fixture (broker, warren, groups)', () => ready || (fixtureExit !== null && Promise.reject(
    new Error(`fixture exited with ${fixtureExit}; see ${path.join(artifacts, 'fixture.log')}`))), 240000, 100);
  const base = ready.url;
  log(`warren at ${base}`);
  const authHeaders = { Authorization: `Bearer ${token}` };
  await until('/v3/health 200', async () => (await fetch(`${base}/v3/health`, { headers: authHeaders })).status === 200, 120000, 250);
  const groups = ['dash-steady', 'dash-slow', 'dash-stopper', 'dash-toggle'];
  await until('every group in /v3/kafka/local/consumer', async () => {
    const r = await fetch(`${base}/v3/kafka/local/consumer`, { headers: authHeaders });
    const body = await r.json();
    return groups.every((g) => body.consumers.includes(g));
  }, 120000, 250);
  await command('toggle-ok');

  // ---- Grafana: every query of config/grafana/warren.json names a series /metrics serves -----------
  {
    const dashboardPath = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../config/grafana/warren.json');
    const dashboard = JSON.parse(fs.readFileSync(dashboardPath, 'utf8'));
    // Wait until the per-group series of our groups are rendered (they follow the first evaluations).
    const metricsText = await until('/metrics with the groups', async () => {
      const t = await (await fetch(`${base}/metrics`, { headers: authHeaders })).text();
      return groups.every((g) => t.includes(`consumer_group="${g}"`)) ? t : null;
    }, 60000, 250);
    fs.writeFileSync(path.join(artifacts, 'metrics.txt'), metricsText);
    const named = dashboardMetrics(dashboard);
    const missing = missingMetrics(dashboard, metricsText);
    check(named.size >= 10 && metricsInExpr('sum by (a) (rate(x_total{a="b"}[1m])) or vector(0)').has('x_total'),
      `the Grafana dashboard's queries name ${named.size} metrics`);
    check(missing.length === 0, `every one is served by /metrics${missing.length ? `; missing: ${missing.map(([n, w]) => `${n} (${w[0]})`).join(', ')}` : ''}`);
  }

  // A stream client of our own: when it receives a change, that is Warren's change time.
  const seen = new Map();   // group → latest status name
  const events = [];        // {group, status, t}
  observer = new WebSocket(`${base.replace('http', 'ws')}/v3/stream`, ['warren.v1'], { headers: authHeaders });
  observer.on('message', (data) => {
    const m = JSON.parse(data.toString());
    const t = Date.now();
    if (m.type === 'snapshot') for (const st of m.statuses) seen.set(st.group, st.status);
    if (m.type === 'status') {
      // Warren's change time: the evaluation that produced it (warren.evaluated_at, same clock),
      // else when this client received it.
      const w = m.status.warren && typeof m.status.warren.evaluated_at === 'number' ? m.status.warren.evaluated_at : null;
      if (seen.get(m.group) !== m.status.status) events.push({ group: m.group, status: m.status.status, t, tw: w ?? t, exact: w !== null });
      seen.set(m.group, m.status.status);
    }
  });
  await new Promise((resolve, reject) => { observer.once('open', resolve); observer.once('error', reject); });
  observer.send(JSON.stringify({ type: 'subscribe', id: 'observer', detail: 'summary' }));

  // ---- the browser ---------------------------------------------------------------------------------
  browser = await puppeteer.launch({ executablePath: chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
  const page = await browser.newPage();
  await page.setViewport({ width: 1360, height: 860 });
  let errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure() && r.failure().errorText}`));
  // Test-only: note every board row whose status changes, with the time the DOM showed it.
  await page.evaluateOnNewDocument(() => {
    window.__changes = [];
    const last = new Map();
    const scan = () => {
      const t = Date.now();
      for (const tr of document.querySelectorAll('#board-table tbody tr[data-group]')) {
        const g = tr.dataset.group, s = tr.dataset.status;
        if (last.get(g) !== s) { last.set(g, s); window.__changes.push({ group: g, status: s, t }); }
      }
    };
    document.addEventListener('DOMContentLoaded', () => {
      new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true,
        attributeFilter: ['data-status'] });
    });
  });
  await page.goto(`${base}/`, { waitUntil: 'load' });
  await page.waitForSelector('#token-dialog[open]', { timeout: 10000 });
  check(true, 'the page asks for the read token');
  const beforeToken = errors;
  errors = [];
  check(beforeToken.every((e) => /401|Authentication/.test(e)), `before the token only 401s were logged (${beforeToken.length})`);
  await page.type('#token-input', token);
  await page.click('#token-form button[type=submit]');
  await page.evaluate(() => { window.__loadMarker = 'same-document'; });
  await until('the board lists every group', () => page.evaluate((gs) => gs.every((g) =>
    document.querySelector(`#board-table tr[data-group="${g}"]`)), groups), 30000);
  check(true, `the board lists ${groups.join(', ')}`);
  check(await page.evaluate(() => document.getElementById('stream-state').textContent === 'live'), 'the stream is live (token sent as a subprotocol)');
  await until('health ok on the page', () => page.evaluate(() => document.getElementById('health').textContent === 'health ok'), 15000);
  check(true, 'Warren\'s health (/v3/health) is shown: ok');
  check(await page.evaluate(() => !!document.querySelector('.cluster-chip[data-cluster="local"][data-reachable="true"]')),
    'cluster local shown reachable');

  // ---- a group goes ERR on the broker: stop committing while producing ----------------------------
  const pageChange = (group, status, after) => page.evaluate((g, s, a) =>
    window.__changes.find((c) => c.group === g && c.status === s && c.t >= a) || null, group, status, after);
  const tStop = Date.now();
  await command('stop-committing');
  const stopEvent = await until('Warren turns dash-stopper ERR', () =>
    events.find((e) => e.group === 'dash-stopper' && e.status === 'ERR' && e.t >= tStop), 90000, 20);
  log(`Warren: dash-stopper ERR ${stopEvent.t - tStop} ms after commits stopped`);
  const stopShown = await until('the page shows dash-stopper ERR', () => pageChange('dash-stopper', 'ERR', tStop), 10000, 10);
  check(stopShown.t - stopEvent.tw <= LIMIT_MS, `dash-stopper turned ERR on the page ${stopShown.t - stopEvent.tw} ms after Warren's change (≤ ${LIMIT_MS})`);
  const red = await page.evaluate(() => {
    const tr = document.querySelector('#board-table tr[data-group="dash-stopper"]');
    const probe = document.createElement('span');
    probe.className = 'badge st-ERR';
    document.body.append(probe);
    const want = getComputedStyle(probe).color;
    probe.remove();
    const b = tr.querySelector('.badge');
    return { got: getComputedStyle(b).color, want, text: b.textContent, cls: tr.className };
  });
  check(red.text === 'ERR' && red.got === red.want && /row-ERR/.test(red.cls), `its row is red (${red.got}, ${red.cls})`);

  // ---- latency over many changes ------------------------------------------------------------------
  const lat = [];  // Warren's change (its evaluation time, or a stream client got it) → the page shows it
  let inexact = 0;
  const e2e = [];  // the fixture switched the group's commits to a rewind → the page shows ERR
  const t0 = Date.now();
  for (let i = 0; i < CHANGES && Date.now() - t0 < LATENCY_BUDGET_MS; ++i) {
    await command('toggle-ok');
    await until('dash-toggle OK (Warren)', () => seen.get('dash-toggle') === 'OK', 20000, 5);
    await until('dash-toggle OK (page)', () => page.evaluate(() =>
      document.querySelector('#board-table tr[data-group="dash-toggle"]')?.dataset.status === 'OK'), 5000, 5);
    const tErr = Date.now();
    await command('toggle-err');
    const tAck = Date.now();  // the member's next commit (within its 100 ms interval) is below the last one
    const w = await until('dash-toggle ERR (Warren)', () => events.find((e) => e.group === 'dash-toggle' && e.status === 'ERR' && e.t >= tErr), 20000, 5);
    const p = await until('dash-toggle ERR (page)', () => pageChange('dash-toggle', 'ERR', tErr), 5000, 5);
    lat.push(p.t - w.tw);
    if (!w.exact) inexact += 1;
    e2e.push(p.t - tAck);
  }
  const sorted = [...lat].sort((a, b) => a - b);
  const sortedE2e = [...e2e].sort((a, b) => a - b);
  const figures = { changes: lat.length, p50_ms: pct(sorted, 0.5), p99_ms: pct(sorted, 0.99), max_ms: sorted[sorted.length - 1],
    min_ms: sorted[0], broker_to_page_p50_ms: pct(sortedE2e, 0.5), broker_to_page_p99_ms: pct(sortedE2e, 0.99),
    broker_to_page_max_ms: sortedE2e[sortedE2e.length - 1], seconds: Math.round((Date.now() - t0) / 1000),
    stop_scenario_ms: stopShown.t - stopEvent.tw,
    reference: inexact ? `stream client receive time for ${inexact} changes, warren.evaluated_at for the others` : 'warren.evaluated_at' };
  log(`Warren's change → page over ${figures.changes} OK→ERR changes: p50 ${figures.p50_ms} ms, p99 ${figures.p99_ms} ms, ` +
      `max ${figures.max_ms} ms, min ${figures.min_ms} ms (${figures.seconds} s; Warren's change = ${figures.reference})`);
  log(`broker (commits switched to a rewind) → page: p50 ${figures.broker_to_page_p50_ms} ms, p99 ${figures.broker_to_page_p99_ms} ms, ` +
      `max ${figures.broker_to_page_max_ms} ms`);
  fs.writeFileSync(path.join(artifacts, 'latency.json'), `${JSON.stringify({ ...figures, samples_ms: lat, broker_to_page_samples_ms: e2e }, null, 1)}\n`);
  check(lat.length >= Math.min(CHANGES, 20), `measured ${lat.length} changes`);
  check(figures.max_ms <= LIMIT_MS, `every change shown within ${LIMIT_MS} ms (max ${figures.max_ms} ms)`);

  // ---- screenshots of the board ---------------------------------------------------------------------
  await command('toggle-err');
  await until('dash-toggle ERR again', () => page.evaluate(() =>
    document.querySelector('#board-table tr[data-group="dash-toggle"]')?.dataset.status === 'ERR'), 10000);
  await page.screenshot({ path: path.join(artifacts, 'board.png'), fullPage: true });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await sleep(200);
  await page.screenshot({ path: path.join(artifacts, 'board-dark.png'), fullPage: true });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  // Sorting and filtering.
  await page.type('#board input[type=search]', 'stop');
  const filtered = await page.evaluate(() => [...document.querySelectorAll('#board-table tbody tr[data-group]')].map((t) => t.dataset.group));
  check(filtered.length === 1 && filtered[0] === 'dash-stopper', `the filter keeps only dash-stopper (${filtered})`);
  await page.evaluate(() => { const i = document.querySelector('#board input[type=search]'); i.value = ''; i.dispatchEvent(new Event('input')); });
  await clickLive(page, '#board-table th[data-key="group"]');
  const byName = await page.evaluate(() => [...document.querySelectorAll('#board-table tbody tr[data-group]')].map((t) => t.dataset.group));
  check(JSON.stringify(byName) === JSON.stringify([...byName].sort()), `sorting by group name (${byName})`);

  // ---- the group page -------------------------------------------------------------------------------
  await clickLive(page, '#board-table tr[data-group="dash-slow"] td.group a');
  await page.waitForSelector('#partitions-table tbody tr[data-partition]', { timeout: 10000 });
  const rows = await page.evaluate(() => [...document.querySelectorAll('#partitions-table tbody tr[data-partition]')]
    .map((t) => [...t.children].map((c) => c.textContent)));
  check(rows.length === 3 && rows.every((r) => r[0] === 'dash-orders' && r[4] === 'slow'), `the group page lists 3 partitions with owner and client (${JSON.stringify(rows[0])})`);
  await until('the lag chart has 2 points or more', () => page.evaluate(() =>
    Number(document.getElementById('chart-lag').dataset.points || 0) >= 2), 20000, 100);
  check(await page.evaluate(() => !!document.querySelector('#chart-lag canvas')), 'the lag chart is drawn (uPlot canvas) with data');
  const lagBody = await (await fetch(`${base}/v3/kafka/local/consumer/dash-slow/lag`, { headers: authHeaders })).json();
  if (lagBody.status && lagBody.status.warren && typeof lagBody.status.warren.max_time_lag_s === 'number') {
    await until('the time-lag chart has data', () => page.evaluate(() =>
      Number(document.getElementById('chart-timelag').dataset.points || 0) >= 2), 20000, 100);
    check(true, 'the time-lag chart has data');
  } else {
    log('note: this Warren reports no time lag yet (no `warren` object in /lag): the time-lag chart stays empty, cells show –');
  }
  await sleep(300);
  await page.screenshot({ path: path.join(artifacts, 'group.png'), fullPage: true });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await until('the group page redrawn in dark', () => page.evaluate(() =>
    Number(document.getElementById('chart-lag')?.dataset.points || 0) >= 2), 10000, 100);
  await sleep(300);
  await page.screenshot({ path: path.join(artifacts, 'group-dark.png'), fullPage: true });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  // Live on the group page too: dash-toggle's page follows its status without a reload.
  await page.evaluate(() => { location.hash = '#/c/local/g/dash-toggle'; });
  await page.waitForSelector('#group[data-group="dash-toggle"] h1[data-status="ERR"]', { timeout: 10000 });
  await command('toggle-ok');
  await page.waitForSelector('#group[data-group="dash-toggle"] h1[data-status="OK"]', { timeout: 10000 });
  check(true, 'the group page follows a status change live (ERR → OK)');

  check(await page.evaluate(() => window.__loadMarker === 'same-document'), 'no reload happened');
  check(errors.length === 0, `no console errors, page errors or failed requests after the token${errors.length ? `: ${errors.join(' | ')}` : ''}`);
  log(`screenshots: ${['board.png', 'board-dark.png', 'group.png', 'group-dark.png'].map((f) => path.join(artifacts, f)).join(', ')}`);
  exitCode = failures.length ? 1 : 0;
} catch (e) {
  log(`FAILED: ${e.stack || e}`);
  failures.push(String(e.message || e));
  if (browser) {
    try { const pages = await browser.pages(); if (pages[1]) await pages[1].screenshot({ path: path.join(artifacts, 'failure.png'), fullPage: true }); } catch (_) { /* best effort */ }
  }
} finally {
  if (observer) observer.terminate();
  if (browser) await browser.close().catch(() => {});
  if (fixtureExit === null) {
    fixture.stdin.write('quit\n');
    await until('the fixture to exit', () => fixtureExit !== null, 60000, 100).catch(() => fixture.kill('SIGTERM'));
  }
  if (fixtureExit !== null && fixtureExit !== 0) { failures.push(`fixture exited with ${fixtureExit}`); exitCode = 1; }
  fixtureLog.end();
}
if (failures.length) log(`failures:\n  ${failures.join('\n  ')}`);
console.log(exitCode === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed');
process.exit(exitCode);
