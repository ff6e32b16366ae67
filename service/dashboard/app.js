// Warren's built-in dashboard. Plain JavaScript, no framework, no build step; served by Warren from
// the binary (service/http/dashboard.cpp) with a CSP that forbids inline code, so everything here
// builds DOM nodes (never innerHTML with data).
//
// Views (hash routing):
//   #/                        status board: every cluster and group, filterable and sortable
//   #/c/<cluster>/g/<group>   group page: partitions, lag and time-lag charts
// Live data: the `/v3/stream` WebSocket (proto/ws/messages.schema.json, subprotocol warren.v2, i.e.
// warren.v1 plus batch frames; warren.v1 is offered too, for a server that has no batches).
// The stream pushes status changes; lag values between changes come from a periodic re-subscribe
// (board) or from polling /lag (group page). Warren's own health: GET /v3/health.
'use strict';

(() => {
  const BOARD_REFRESH_MS = 15000;   // re-subscribe (fresh snapshot of lag values) while small
  const BOARD_REFRESH_MAX_GROUPS = 5000;
  const BOARD_MAX_ROWS = 500;       // rows rendered after filtering and sorting
  const GROUP_POLL_MS = 5000;
  const HEALTH_POLL_MS = 5000;
  const CHART_MAX_POINTS = 720;
  const TOKEN_KEY = 'warren.read-token';
  const SEVERITY = { ERR: 5, REWIND: 4, STOP: 4, STALL: 4, WARN: 3, NOTFOUND: 1, OK: 0 };

  // ---- small helpers -------------------------------------------------------------------------
  const byId = (id) => document.getElementById(id);
  function el(tag, props, ...children) {
    const n = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') n.className = v;
        else if (k === 'text') n.textContent = v;
        else if (k === 'dataset') Object.assign(n.dataset, v);
        else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
        else n.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return n;
  }
  const fmtInt = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));
  function fmtSeconds(s) {
    if (s === null || s === undefined || Number.isNaN(s)) return '–';
    if (s < 1) return `${Math.round(s * 1000)} ms`;
    if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${Math.floor(s % 60)}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
    return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  }
  function fmtAgo(ms) {
    if (!ms) return '–';
    return `${fmtSeconds(Math.max(0, (Date.now() - ms) / 1000))} ago`;
  }
  const fmtTime = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '–');
  const badge = (status) => el('span', { class: `badge st-${status}`, text: status });
  const groupHref = (cluster, group) => `#/c/${encodeURIComponent(cluster)}/g/${encodeURIComponent(group)}`;
  const keyOf = (cluster, group) => `${cluster}\u0000${group}`;
  // Warren's time-lag fields (proto: group_time_lag / partition_time_lag) when this Warren has them.
  const groupTimeLag = (st) => (st && st.warren && typeof st.warren.max_time_lag_s === 'number' ? st.warren.max_time_lag_s : null);
  const partTimeLag = (p) => (p && p.warren && typeof p.warren.time_lag_s === 'number' ? p.warren.time_lag_s : null);
  const lowerBound = (flag) => (flag ? '≥ ' : '');

  // ---- token and API ---------------------------------------------------------------------------
  const auth = {
    get token() { return sessionStorage.getItem(TOKEN_KEY) || ''; },
    set(t) { if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY); },
  };
  class Unauthorized extends Error {}
  let tokenAsked = false;
  function askToken(message) {
    const d = byId('token-dialog');
    byId('token-error').textContent = message || '';
    if (!d.open) d.showModal();
    tokenAsked = true;
  }
  async function api(path) {
    const headers = { Accept: 'application/json' };
    if (auth.token) headers.Authorization = `Bearer ${auth.token}`;
    const r = await fetch(path, { headers, cache: 'no-store' });
    if (r.status === 401) {
      askToken(auth.token ? 'The token was refused.' : '');
      throw new Unauthorized('token required');
    }
    let body = null;
    try { body = await r.json(); } catch (_) { body = null; }
    return { status: r.status, body };
  }
  // base64url without padding, the form the server reads from Sec-WebSocket-Protocol (auth.hpp).
  function b64url(text) {
    let bin = '';
    for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // ---- the live stream -------------------------------------------------------------------------
  const stream = {
    ws: null,
    subs: new Map(),       // id → subscribe message, re-sent on every (re)connect
    handlers: new Set(),   // functions(message)
    backoff: 500,
    state: 'connecting',
    clusters: [],
    connect() {
      const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v3/stream`;
      const protocols = ['warren.v2', 'warren.v1'];
      if (auth.token) protocols.push(`warren.bearer.${b64url(auth.token)}`);
      let ws;
      try { ws = new WebSocket(url, protocols); } catch (e) { this.setState('error'); return; }
      this.ws = ws;
      ws.onopen = () => {
        this.backoff = 500;
        this.setState('live');
        for (const m of this.subs.values()) ws.send(JSON.stringify(m));
      };
      ws.onmessage = (ev) => {
        let m;
        try { m = JSON.parse(ev.data); } catch (_) { return; }
        // warren.v2: a batch frame carries several messages, each as it would come alone, in order.
        const messages = m && m.type === 'batch' && Array.isArray(m.messages) ? m.messages : [m];
        for (const one of messages) {
          if (one.type === 'hello') this.clusters = one.clusters || [];
          for (const h of this.handlers) h(one);
        }
      };
      ws.onclose = () => {
        if (this.ws !== ws) return;
        this.ws = null;
        this.setState('reconnecting');
        // A refused upgrade (401) looks like any close here: /v3/health tells whether a token is
        // needed, and while the token dialog is open nothing reconnects (submitting it does).
        this.timer = setTimeout(async () => {
          this.timer = null;
          await pollHealth();
          if (!tokenAsked && !this.ws) this.connect();
        }, this.backoff);
        this.backoff = Math.min(this.backoff * 2, 10000);
      };
    },
    reconnect() {
      if (this.timer) { clearTimeout(this.timer); this.timer = null; }
      if (this.ws) { const old = this.ws; this.ws = null; old.close(); }
      this.connect();
    },
    send(m) { if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m)); },
    subscribe(m) { this.subs.set(m.id, m); this.send(m); },
    unsubscribe(id) { if (this.subs.delete(id)) this.send({ type: 'unsubscribe', id }); },
    setState(s) {
      this.state = s;
      const p = byId('stream-state');
      p.textContent = s === 'live' ? 'live' : s;
      p.className = `pill ${s === 'live' ? 'good' : 'meh'}`;
    },
  };

  // ---- clusters and health ---------------------------------------------------------------------
  const clusterInfo = new Map();  // name → {reachable, stale, reason, replay_percent, last_error}
  function renderClusters() {
    const box = byId('clusters');
    box.replaceChildren(...[...clusterInfo.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => {
      let cls = 'cluster-chip';
      let text = 'reachable';
      if (!c.reachable) { cls += ' down'; text = `unreachable${c.last_error ? `: ${c.last_error}` : ''}`; }
      else if (c.replay_percent !== undefined && c.replay_percent < 100) { cls += ' stale'; text = `replaying offsets ${c.replay_percent}%`; }
      else if (c.stale) { cls += ' stale'; text = `stale${c.reason ? `: ${c.reason}` : ''}`; }
      const counts = board.countsByCluster.get(name);
      return el('div', { class: cls, dataset: { cluster: name, reachable: String(c.reachable) } },
        el('span', { class: 'name', text: name }),
        el('span', { class: c.reachable ? 'muted' : 'error', text }),
        counts ? el('span', { class: 'muted', text: ` · ${counts.groups} groups, ${counts.bad} not OK` }) : null);
    }));
  }
  async function pollHealth() {
    try {
      const { status, body } = await api('/v3/health');
      if (!body) throw new Error(`HTTP ${status}`);
      const p = byId('health');
      p.textContent = `health ${body.status}`;
      p.className = `pill ${body.status === 'ok' ? 'good' : body.status === 'degraded' ? 'meh' : 'bad'}`;
      const down = (body.actors || []).filter((a) => !a.up).map((a) => `${a.actor}${a.cluster ? `/${a.cluster}` : ''}`);
      p.title = [`GET /v3/health: ${body.status}`, ...(body.reasons || []),
        `uptime ${fmtSeconds(body.uptime_s)}`, down.length ? `actors down: ${down.join(', ')}` : 'every actor up'].join('\n');
      byId('version').textContent = body.version || '';
      for (const [name, c] of Object.entries(body.clusters || {})) {
        clusterInfo.set(name, { ...(clusterInfo.get(name) || {}), reachable: c.reachable, last_error: c.last_error,
          replay_percent: c.replay_percent, stale: c.freshness ? c.freshness.stale : false,
          reason: c.freshness ? c.freshness.reason : '' });
      }
      renderClusters();
    } catch (e) {
      if (e instanceof Unauthorized) return;
      const p = byId('health');
      p.textContent = 'health unknown';
      p.className = 'pill bad';
      p.title = String(e.message || e);
    }
  }
  stream.handlers.add((m) => {
    if (m.type !== 'cluster') return;
    clusterInfo.set(m.cluster, { ...(clusterInfo.get(m.cluster) || {}), reachable: m.reachable, stale: m.stale,
      reason: m.reason });
    renderClusters();
  });

  // ---- the board -------------------------------------------------------------------------------
  const COLUMNS = [
    { key: 'status', label: 'Status', sort: (r) => SEVERITY[r.status] ?? 0 },
    { key: 'cluster', label: 'Cluster', sort: (r) => r.cluster },
    { key: 'group', label: 'Group', sort: (r) => r.group },
    { key: 'totallag', label: 'Total lag', num: true, sort: (r) => r.totallag },
    { key: 'timelag', label: 'Max time lag', num: true, sort: (r) => r.timelag ?? -1 },
    { key: 'worst', label: 'Worst partition', sort: (r) => (r.worst ? r.worst.current_lag : -1) },
    { key: 'partitions', label: 'Partitions', num: true, sort: (r) => r.partitions },
    { key: 'since', label: 'Since', sort: (r) => r.since || 0 },
  ];
  const board = {
    rows: new Map(),  // key → row
    countsByCluster: new Map(),
    sortKey: 'status',
    sortDir: -1,
    filter: '',
    statusFilter: 'all',
    clusterFilter: '',
    snapshotSeen: null,   // keys seen in the snapshot being received (for removals)
    root: null,
    tbody: null,
    dirty: false,
    update(st, changed) {
      const key = keyOf(st.cluster, st.group);
      const old = this.rows.get(key);
      const row = {
        cluster: st.cluster,
        group: st.group,
        status: st.status,
        totallag: st.totallag,
        timelag: groupTimeLag(st),
        timelagLower: !!(st.warren && st.warren.max_time_lag_lower_bound),
        worst: st.maxlag || null,
        partitions: st.partition_count,
        since: old ? old.since : null,
        changedAt: old ? old.changedAt : 0,
      };
      if (old && old.status !== st.status) { row.since = Date.now(); row.changedAt = Date.now(); }
      else if (!old && changed) { row.since = Date.now(); }
      this.rows.set(key, row);
      this.schedule();
    },
    remove(cluster, group) { this.rows.delete(keyOf(cluster, group)); this.schedule(); },
    onMessage(m) {
      if (m.type === 'snapshot' && m.id === 'board') {
        if (m.part === 0) this.snapshotSeen = new Set();
        for (const st of m.statuses) { this.update(st, false); if (this.snapshotSeen) this.snapshotSeen.add(keyOf(st.cluster, st.group)); }
        if (m.last && this.snapshotSeen) {
          for (const k of [...this.rows.keys()]) if (!this.snapshotSeen.has(k)) this.rows.delete(k);
          this.snapshotSeen = null;
          this.loaded = true;
          this.schedule();
        }
      } else if (m.type === 'status') {
        this.update(m.status, true);
      } else if (m.type === 'removed') {
        this.remove(m.cluster, m.group);
      }
    },
    schedule() {
      if (this.dirty) return;
      this.dirty = true;
      requestAnimationFrame(() => { this.dirty = false; this.render(); });
    },
    visibleRows() {
      const f = this.filter.toLowerCase();
      let rows = [...this.rows.values()].filter((r) => {
        if (this.clusterFilter && r.cluster !== this.clusterFilter) return false;
        if (this.statusFilter === 'bad' && r.status === 'OK') return false;
        if (this.statusFilter !== 'all' && this.statusFilter !== 'bad' && r.status !== this.statusFilter) return false;
        return !f || r.group.toLowerCase().includes(f) || r.cluster.toLowerCase().includes(f);
      });
      const col = COLUMNS.find((c) => c.key === this.sortKey) || COLUMNS[0];
      const dir = this.sortDir;
      rows.sort((a, b) => {
        const x = col.sort(a), y = col.sort(b);
        const c = typeof x === 'string' ? x.localeCompare(y) : x - y;
        if (c) return c * dir;
        return a.cluster.localeCompare(b.cluster) || a.group.localeCompare(b.group);
      });
      return rows;
    },
    render() {
      // Counts per cluster (chips) whatever view is open.
      this.countsByCluster = new Map();
      for (const r of this.rows.values()) {
        const c = this.countsByCluster.get(r.cluster) || { groups: 0, bad: 0 };
        c.groups += 1;
        if (r.status !== 'OK') c.bad += 1;
        this.countsByCluster.set(r.cluster, c);
        if (!clusterInfo.has(r.cluster)) clusterInfo.set(r.cluster, { reachable: true });
      }
      renderClusters();
      if (!this.root || !this.root.isConnected) return;
      const rows = this.visibleRows();
      const byStatus = {};
      for (const r of this.rows.values()) byStatus[r.status] = (byStatus[r.status] || 0) + 1;
      this.counts.replaceChildren(el('span', null,
        el('b', { text: fmtInt(this.rows.size) }), ' groups',
        ...['ERR', 'WARN', 'OK', 'NOTFOUND'].filter((s) => byStatus[s]).map((s) => [' · ', badge(s), ` ${byStatus[s]}`]),
        rows.length > BOARD_MAX_ROWS ? ` · showing ${BOARD_MAX_ROWS} of ${rows.length}` : ''));
      const clusters = [...new Set([...this.rows.values()].map((r) => r.cluster))].sort();
      const sel = this.clusterSelect;
      if (sel.options.length !== clusters.length + 1) {
        sel.replaceChildren(el('option', { value: '', text: 'all clusters' }),
          ...clusters.map((c) => el('option', { value: c, text: c })));
        sel.value = this.clusterFilter;
      }
      for (const th of this.thead.querySelectorAll('th')) {
        th.classList.toggle('sorted-asc', th.dataset.key === this.sortKey && this.sortDir > 0);
        th.classList.toggle('sorted-desc', th.dataset.key === this.sortKey && this.sortDir < 0);
      }
      if (!rows.length) {
        this.tbody.replaceChildren(el('tr', null, el('td', { colspan: COLUMNS.length, class: 'empty',
          text: this.loaded ? (this.rows.size ? 'No group matches the filter.' : 'No consumer group yet.') : 'Loading…' })));
        return;
      }
      const now = Date.now();
      this.tbody.replaceChildren(...rows.slice(0, BOARD_MAX_ROWS).map((r) => {
        const w = r.worst;
        const tr = el('tr', {
          class: `clickable row-${SEVERITY[r.status] >= 4 ? 'ERR' : r.status}${r.changedAt && now - r.changedAt < 1200 ? ' flash' : ''}`,
          dataset: { cluster: r.cluster, group: r.group, status: r.status },
          onclick: (ev) => { if (ev.target.tagName !== 'A') location.hash = groupHref(r.cluster, r.group); },
        },
        el('td', null, badge(r.status)),
        el('td', { text: r.cluster }),
        el('td', { class: 'group' }, el('a', { href: groupHref(r.cluster, r.group), text: r.group })),
        el('td', { class: 'num', text: fmtInt(r.totallag) }),
        el('td', { class: 'num', text: r.timelag === null ? '–' : lowerBound(r.timelagLower) + fmtSeconds(r.timelag) }),
        el('td', null, w && w.topic ? [`${w.topic}:${w.partition} `, el('span', { class: 'muted', text: `lag ${fmtInt(w.current_lag)}` }),
          w.status !== 'OK' ? [' ', badge(w.status)] : null] : '–'),
        el('td', { class: 'num', text: fmtInt(r.partitions) }),
        el('td', { class: 'muted', title: r.since ? new Date(r.since).toLocaleString() : 'unchanged since this page opened',
          text: r.since ? fmtAgo(r.since) : '–' }));
        return tr;
      }));
    },
    mount(view) {
      this.counts = el('span', { class: 'counts' });
      this.clusterSelect = el('select', { 'aria-label': 'Cluster', onchange: (e) => { this.clusterFilter = e.target.value; this.render(); } });
      const search = el('input', { type: 'search', placeholder: 'Filter groups…', 'aria-label': 'Filter groups', value: this.filter,
        oninput: (e) => { this.filter = e.target.value; this.render(); } });
      const statusSel = el('select', { 'aria-label': 'Status', onchange: (e) => { this.statusFilter = e.target.value; this.render(); } },
        ...[['all', 'every status'], ['bad', 'not OK'], ['ERR', 'ERR'], ['WARN', 'WARN'], ['OK', 'OK'], ['NOTFOUND', 'NOTFOUND']]
          .map(([v, t]) => el('option', { value: v, text: t })));
      statusSel.value = this.statusFilter;
      this.thead = el('thead', null, el('tr', null, ...COLUMNS.map((c) => el('th', {
        class: `sortable${c.num ? ' num' : ''}`, dataset: { key: c.key }, title: 'Sort',
        onclick: () => {
          if (this.sortKey === c.key) this.sortDir = -this.sortDir;
          else { this.sortKey = c.key; this.sortDir = c.num || c.key === 'status' || c.key === 'since' ? -1 : 1; }
          this.render();
        },
      }, c.label))));
      this.tbody = el('tbody');
      this.root = el('section', { class: 'panel', id: 'board' },
        el('div', { class: 'toolbar' }, search, statusSel, this.clusterSelect, this.counts),
        el('div', { class: 'scroll' }, el('table', { id: 'board-table' }, this.thead, this.tbody)));
      view.replaceChildren(this.root);
      byId('crumbs').replaceChildren('Consumer groups');
      this.render();
      return () => { this.root = null; };
    },
  };
  stream.handlers.add((m) => board.onMessage(m));
  stream.subscribe({ type: 'subscribe', id: 'board', detail: 'summary' });
  setInterval(() => {
    if (stream.state === 'live' && board.rows.size <= BOARD_REFRESH_MAX_GROUPS) stream.send(stream.subs.get('board'));
  }, BOARD_REFRESH_MS);
  setInterval(() => board.schedule(), 5000);  // "since … ago"

  // ---- the group page --------------------------------------------------------------------------
  function makeChart(container, label, unit, color) {
    if (typeof window.uPlot !== 'function') {
      container.replaceChildren(el('p', { class: 'notice', text: window.WARREN_UPLOT_MISSING || 'charts unavailable: uPlot did not load' }));
      return null;
    }
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue('--muted').trim() || '#888';
    const grid = css.getPropertyValue('--line').trim() || '#ddd';
    const stroke = css.getPropertyValue(color).trim() || '#36c';
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts = {
      width: Math.max(300, container.clientWidth || 480),
      height: 220,
      scales: { x: { time: true } },
      series: [{}, { label, stroke, width: 2, fill: `${stroke}22`, spanGaps: true,
        value: (u, v) => (v === null || v === undefined ? '–' : unit === 's' ? fmtSeconds(v) : fmtInt(v)) }],
      axes: [axis, { ...axis, size: 70, values: (u, vals) => vals.map((v) => (unit !== 's' ? fmtInt(v)
        : v < 120 ? `${Number(v.toFixed(2))} s` : fmtSeconds(v))) }],
      cursor: { drag: { x: false, y: false } },
    };
    const data = [[], []];
    const plot = new window.uPlot(opts, data, container);
    const chart = {
      plot, data, points: 0,
      set(xs, ys) {
        this.data = [xs, ys];
        this.points = xs.length;
        container.dataset.points = String(xs.length);
        if (xs.length === 1) {
          // A single point would stretch the time axis over years: a minute either side instead.
          plot.setData(this.data, false);
          plot.setScale('x', { min: xs[0] - 60, max: xs[0] + 60 });
        } else {
          plot.setData(this.data);
        }
      },
      push(tMs, y) {
        const xs = this.data[0].slice(), ys = this.data[1].slice();
        const t = tMs / 1000;
        // Points closer than a second (a poll and a pushed change together) replace each other.
        if (xs.length && t - xs[xs.length - 1] < 1) { ys[ys.length - 1] = y; } else { xs.push(t); ys.push(y); }
        while (xs.length > CHART_MAX_POINTS) { xs.shift(); ys.shift(); }
        this.set(xs, ys);
      },
      resize() { plot.setSize({ width: Math.max(300, container.clientWidth || 480), height: 220 }); },
    };
    return chart;
  }

  // Total lag over the stored window: at each commit time, the sum over partitions of each one's
  // latest stored lag at or before it (consumer detail: /v3/kafka/:cluster/consumer/:group).
  function windowLagSeries(detail) {
    const series = [];
    for (const parts of Object.values(detail.topics || {}))
      for (const p of parts) series.push((p.offsets || []).filter((o) => o && o.lag !== null && o.lag !== undefined));
    const times = [...new Set(series.flatMap((s) => s.map((o) => o.timestamp)))].sort((a, b) => a - b);
    const xs = [], ys = [];
    for (const t of times) {
      let sum = 0, any = false;
      for (const s of series) {
        let last = null;
        for (const o of s) if (o.timestamp <= t) last = o;
        if (last) { sum += last.lag; any = true; }
      }
      if (any) { xs.push(t / 1000); ys.push(sum); }
    }
    return [xs, ys];
  }

  function groupPage(view, cluster, group) {
    let alive = true;
    let status = null;
    const head = el('div', { class: 'summary' });
    const tbody = el('tbody');
    const note = el('p', { class: 'muted' });
    const lagBox = el('div', { class: 'plot', id: 'chart-lag' });
    const timeBox = el('div', { class: 'plot', id: 'chart-timelag' });
    const title = el('h1', null, badge('…'), ' ', group);
    view.replaceChildren(
      el('section', { class: 'panel', id: 'group', dataset: { cluster, group } }, title, head, note),
      el('section', { class: 'charts' },
        el('div', { class: 'panel chart' }, el('h3', { text: 'Total lag (records)' }), lagBox),
        el('div', { class: 'panel chart' }, el('h3', { text: 'Max time lag (seconds)' }), timeBox)),
      el('section', { class: 'panel' }, el('h2', { text: 'Partitions' }), el('div', { class: 'scroll' },
        el('table', { id: 'partitions-table' }, el('thead', null, el('tr', null,
          ...['Topic', 'Partition', 'Status', 'Owner', 'Client', 'Committed', 'Log end', 'Lag', 'Time lag', 'Time to drain']
            .map((h, i) => el('th', { class: i === 1 || i >= 5 ? 'num' : '', text: h })))), tbody))));
    byId('crumbs').replaceChildren(el('a', { href: '#/', text: 'Consumer groups' }), ` / ${cluster} / `, group);
    const lagChart = makeChart(lagBox, 'total lag', 'records', '--chart-1');
    const timeChart = makeChart(timeBox, 'max time lag', 's', '--chart-2');
    const onResize = () => { if (lagChart) lagChart.resize(); if (timeChart) timeChart.resize(); };
    window.addEventListener('resize', onResize);

    function render(st) {
      status = st;
      title.replaceChildren(badge(st.status), ' ', group);
      title.dataset.status = st.status;
      const w = st.warren || {};
      const item = (k, v) => el('div', null, el('div', { class: 'k', text: k }), el('div', { class: 'v', text: v }));
      head.replaceChildren(
        item('Cluster', cluster),
        item('Total lag', fmtInt(st.totallag)),
        item('Max time lag', groupTimeLag(st) === null ? '–' : lowerBound(w.max_time_lag_lower_bound) + fmtSeconds(groupTimeLag(st))),
        item('Time to drain', typeof w.time_to_drain_s === 'number' ? fmtSeconds(w.time_to_drain_s) : '–'),
        item('Retention risk', w.data_loss ? `data lost (${w.data_loss_partitions} partitions)`
          : typeof w.unread_deleted_in_s === 'number' ? `unread data deleted in ${fmtSeconds(Math.max(0, w.unread_deleted_in_s))}` : '–'),
        item('Partitions', fmtInt(st.partition_count)),
        item('Complete', `${Math.round((st.complete || 0) * 100)}%`));
      const parts = st.partitions || [];
      tbody.replaceChildren(...(parts.length ? parts.map((p) => {
        const pw = p.warren || {};
        const tl = partTimeLag(p);
        return el('tr', { class: `row-${SEVERITY[p.status] >= 4 ? 'ERR' : p.status}`, dataset: { topic: p.topic, partition: String(p.partition), status: p.status } },
          el('td', { text: p.topic }),
          el('td', { class: 'num', text: String(p.partition) }),
          el('td', null, badge(p.status)),
          el('td', { text: p.owner || '–' }),
          el('td', { text: p.client_id || '–' }),
          el('td', { class: 'num', text: p.end ? fmtInt(p.end.offset) : '–' }),
          el('td', { class: 'num', text: typeof pw.log_end_offset === 'number' ? fmtInt(pw.log_end_offset) : p.end ? fmtInt(p.end.offset + p.current_lag) : '–' }),
          el('td', { class: 'num', text: fmtInt(p.current_lag) }),
          el('td', { class: 'num', text: tl === null ? '–' : lowerBound(pw.time_lag_lower_bound) + fmtSeconds(tl) }),
          el('td', { class: 'num', text: typeof pw.time_to_drain_s === 'number' ? fmtSeconds(pw.time_to_drain_s) : '–' }));
      }) : [el('tr', null, el('td', { colspan: 10, class: 'empty', text: 'No partition.' }))]));
      const now = Date.now();
      if (lagChart) lagChart.push(now, st.totallag);
      if (timeChart && groupTimeLag(st) !== null) timeChart.push(now, groupTimeLag(st));
      note.textContent = `Updated ${fmtTime(now)} · live status changes over /v3/stream, lag values every ${GROUP_POLL_MS / 1000} s`;
    }

    async function load(first) {
      try {
        const lag = await api(`/v3/kafka/${encodeURIComponent(cluster)}/consumer/${encodeURIComponent(group)}/lag`);
        if (!alive) return;
        if (lag.status === 404 || !lag.body || !lag.body.status) {
          title.replaceChildren(badge('NOTFOUND'), ' ', group);
          note.textContent = 'Warren does not know this group (yet).';
          return;
        }
        if (first && lagChart) {
          const detail = await api(`/v3/kafka/${encodeURIComponent(cluster)}/consumer/${encodeURIComponent(group)}`);
          if (!alive) return;
          if (detail.body && detail.body.topics) { const [xs, ys] = windowLagSeries(detail.body); lagChart.set(xs, ys); }
        }
        render(lag.body.status);
      } catch (e) {
        if (e instanceof Unauthorized || !alive) return;
        note.textContent = `Could not load the group: ${e.message || e}`;
      }
    }
    const onMessage = (m) => {
      if (m.type === 'status' && m.cluster === cluster && m.group === group && m.detail === 'full') render(m.status);
      else if (m.type === 'snapshot' && m.id === 'group') for (const st of m.statuses) if (st.group === group) render(st);
      else if (m.type === 'removed' && m.cluster === cluster && m.group === group) {
        title.replaceChildren(badge('NOTFOUND'), ' ', group);
        note.textContent = 'The group was removed.';
      }
    };
    stream.handlers.add(onMessage);
    stream.subscribe({ type: 'subscribe', id: 'group', cluster, group, detail: 'full' });
    load(true);
    const timer = setInterval(() => load(false), GROUP_POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
      window.removeEventListener('resize', onResize);
      stream.handlers.delete(onMessage);
      stream.unsubscribe('group');
      if (lagChart) lagChart.plot.destroy();
      if (timeChart) timeChart.plot.destroy();
      void status;
    };
  }

  // ---- routing ---------------------------------------------------------------------------------
  let unmount = null;
  function route() {
    if (unmount) { unmount(); unmount = null; }
    const view = byId('view');
    const m = location.hash.match(/^#\/c\/([^/]+)\/g\/(.+)$/);
    if (m) {
      let cluster, group;
      try { cluster = decodeURIComponent(m[1]); group = decodeURIComponent(m[2]); } catch (_) { location.hash = '#/'; return; }
      unmount = groupPage(view, cluster, group);
    } else {
      unmount = board.mount(view);
    }
  }

  // ---- token dialog ----------------------------------------------------------------------------
  byId('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = byId('token-input').value.trim();
    if (!t) return;
    auth.set(t);
    byId('token-input').value = '';
    byId('token-dialog').close();
    tokenAsked = false;
    stream.reconnect();
    pollHealth();
    route();
  });
  byId('token-clear').addEventListener('click', () => { auth.set(''); byId('token-input').value = ''; });
  byId('token-button').addEventListener('click', () => askToken(auth.token ? 'A token is set for this tab.' : ''));

  window.addEventListener('hashchange', route);
  // Charts take their colours from the theme when drawn: redraw the group page when it changes.
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (location.hash.startsWith('#/c/')) route();
  });
  route();
  // The stream starts once a first API call shows whether a token is needed (no doomed upgrade).
  pollHealth().then(() => { if (!tokenAsked && !stream.ws) stream.connect(); });
  setInterval(() => { if (!tokenAsked) pollHealth(); }, HEALTH_POLL_MS);
})();
