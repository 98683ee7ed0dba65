// Over 250 lines on purpose: the page is one script served as is (no bundler), its panels sharing one event feed.
// The isoswarm dashboard page: one EventSource to our own server, uPlot for the charts, no framework.
/* global uPlot */
'use strict';

const $ = (id) => document.getElementById(id);
const esc = (s) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
const dur = (ms) => {
  if (ms == null || !isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
};
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '–');
const MAX_POINTS = 600;

const state = { services: [], runs: { active: [], past: [] }, events: [], patterns: [], disks: [], stages: {} };

// --- charts -------------------------------------------------------------------------------------
const COLORS = ['#2563eb', '#db2777', '#16a34a', '#ea580c', '#7c3aed', '#0891b2'];
const charts = {};
// The active runs' phases as faint bands behind the lines, the build phase split into the build's own
// stages (phase calls, a builder's stage lines), in the report's two shades (report/html-style.ts).
const BANDS = ['rgba(59, 130, 246, 0.06)', 'rgba(100, 116, 139, 0.07)'];

function bandsNow() {
  const out = [];
  const now = Date.now();
  for (const r of state.runs.active) {
    const stages = state.stages[r.runId] || [];
    for (const p of r.phases) {
      const start = Date.parse(p.startedAt);
      const end = p.endedAt ? Date.parse(p.endedAt) : now;
      if (p.name === 'build' && stages.length)
        stages.forEach((st, i) =>
          out.push({ name: st.name, start: st.at, end: i + 1 < stages.length ? stages[i + 1].at : end }),
        );
      else out.push({ name: p.name, start, end });
    }
  }
  return out;
}

function drawBands(u, el) {
  const { ctx, bbox } = u;
  const dpr = window.devicePixelRatio || 1;
  const shown = [];
  ctx.save();
  ctx.font = `${11 * dpr}px sans-serif`;
  ctx.textBaseline = 'top';
  bandsNow().forEach((b, i) => {
    const a = Math.max(bbox.left, u.valToPos(b.start / 1000, 'x', true));
    const e = Math.min(bbox.left + bbox.width, u.valToPos(b.end / 1000, 'x', true));
    if (!isFinite(a) || !isFinite(e) || e - a < 1) return;
    shown.push(b.name);
    ctx.fillStyle = BANDS[i % 2];
    ctx.fillRect(a, bbox.top, e - a, bbox.height);
    if (e - a > 40 * dpr) {
      ctx.fillStyle = '#888';
      ctx.fillText(b.name.slice(0, Math.floor((e - a) / (7 * dpr))), a + 4 * dpr, bbox.top + 2 * dpr);
    }
  });
  ctx.restore();
  // What is shaded, for a reader of the page (and its browser test).
  el.dataset.bands = shown.join('|');
}

function redrawBands() {
  for (const c of Object.values(charts)) c.chart.redraw(false, false);
}

function makeChart(id, series, scales) {
  const el = $(id);
  const opts = {
    width: Math.max(300, el.clientWidth),
    height: 200,
    scales: { x: { time: true }, ...(scales || {}) },
    axes: [{ stroke: '#888' }, { stroke: '#888', scale: (series[0] && series[0].scale) || 'y' }].concat(
      scales && scales.n ? [{ side: 1, scale: 'n', stroke: '#888', grid: { show: false } }] : [],
    ),
    hooks: { drawClear: [(u) => drawBands(u, el)] },
    series: [{}].concat(
      series.map((s, i) => ({
        label: s.label,
        stroke: COLORS[i % COLORS.length],
        width: 2,
        scale: s.scale || 'y',
        points: { show: false },
      })),
    ),
  };
  const data = [[]].concat(series.map(() => []));
  const chart = new uPlot(opts, data, el);
  charts[id] = { chart, data, pick: series.map((s) => s.pick), el };
}

function chartDefs(disks) {
  for (const id of Object.keys(charts)) {
    charts[id].chart.destroy();
    delete charts[id];
  }
  makeChart(
    'chart-cpu',
    [
      { label: 'CPU %', pick: (s) => s.cpuPct },
      { label: 'memory %', pick: (s) => s.memPct },
    ],
    { y: { range: [0, 100] } },
  );
  makeChart(
    'chart-disk',
    disks.map((p) => ({ label: p, pick: (s) => (s.disks || []).find((d) => d.path === p)?.usedPct ?? null })),
    { y: { range: [0, 100] } },
  );
  makeChart('chart-temp', [{ label: 'temp MB', pick: (s) => (s.temp ? s.temp.bytes / 1048576 : null) }]);
  makeChart(
    'chart-build',
    [
      { label: 'build CPU % of a core', pick: (s) => (s.build && s.build.alive ? s.build.cpuPct : null) },
      { label: 'processes', scale: 'n', pick: (s) => (s.build && s.build.alive ? s.build.procs : null) },
    ],
    { n: { range: (u, min, max) => [0, Math.max(4, max || 0)] } },
  );
}

function push(samples) {
  for (const s of samples) {
    for (const c of Object.values(charts)) {
      c.data[0].push(s.at / 1000);
      c.pick.forEach((f, i) => c.data[i + 1].push(f(s)));
      if (c.data[0].length > MAX_POINTS) for (const col of c.data) col.shift();
    }
  }
}

const samples = [];
function onSamples(list) {
  samples.push(...list);
  if (samples.length > MAX_POINTS) samples.splice(0, samples.length - MAX_POINTS);
  const last = samples[samples.length - 1];
  const disks = last?.disks?.map((d) => d.path) ?? [];
  if (!Object.keys(charts).length || disks.join('\n') !== state.disks.join('\n')) {
    // The watched disks changed (or the first samples): the charts are rebuilt from what is kept.
    state.disks = disks;
    chartDefs(disks);
    push(samples);
  } else push(list);
  for (const c of Object.values(charts)) {
    c.chart.setData(c.data);
    c.el.dataset.points = String(c.data[0].length);
  }
}

window.addEventListener('resize', () => {
  for (const c of Object.values(charts)) c.chart.setSize({ width: Math.max(300, c.el.clientWidth), height: 200 });
});

// --- tables ---------------------------------------------------------------------------------------
function renderServices() {
  const now = Date.now();
  $('services').tBodies[0].innerHTML = state.services
    .map(
      (
        s,
      ) => `<tr data-service="${esc(s.name)}" data-up="${s.up ? 1 : 0}" data-pid="${s.pid ?? ''}" data-state="${esc(s.state)}">
      <td>${esc(s.name)}</td>
      <td><span class="badge ${s.up ? 'up' : ''}">${s.up ? 'up' : 'down'}</span> <span class="muted">${esc(s.state)}</span></td>
      <td class="num">${s.pid ?? '–'}</td>
      <td class="num">${s.up && s.startedAt ? dur(now - s.startedAt) : '–'}</td>
      <td class="num">${s.requests}</td><td class="num">${s.errors}</td><td class="num">${s.restarts}</td>
      <td class="err">${esc(s.lastError ?? '')}</td></tr>`,
    )
    .join('');
}

function renderRuns() {
  const now = Date.now();
  const act = state.runs.active;
  $('active').innerHTML = act.length
    ? act
        .map((r) => {
          const cur = r.phases[r.phases.length - 1];
          const phase = r.endedAt
            ? r.exitCode === 0
              ? 'done'
              : `ended (exit ${r.exitCode})`
            : cur
              ? cur.name
              : 'starting';
          const elapsed = (r.endedAt ? Date.parse(r.endedAt) : now) - Date.parse(r.startedAt);
          const tuning = r.tuning
            ? Object.entries(r.tuning)
                .map(([k, v]) => `${k}=${v}`)
                .join('  ')
            : '';
          return `<div class="run" data-run="${esc(r.runId)}" data-phase="${esc(phase)}" data-ended="${r.endedAt ? 1 : 0}">
          <b>${esc(r.name)}</b> <span class="muted">${esc(r.runId)}</span> · phase <b class="current-phase">${esc(phase)}</b> · ${dur(elapsed)}
          <div class="phases">${r.phases.map((p) => `<span class="phase ${esc(p.status)}">${esc(p.name)}: ${esc(p.status)}</span>`).join('')}</div>
          ${tuning ? `<div class="tuning">${esc(tuning)}</div>` : ''}</div>`;
        })
        .join('')
    : '<p class="muted">no run in progress</p>';
  $('past').tBodies[0].innerHTML = state.runs.past
    .slice()
    .reverse()
    .map(
      (
        r,
      ) => `<tr><td>${r.report ? `<a href="runs/${encodeURIComponent(r.runId)}.html">${esc(r.name)}</a>` : esc(r.name)}</td>
      <td>${esc(time(r.startedAt))}</td><td class="num">${dur(r.durationMs)}</td><td class="num">${r.exitCode ?? '–'}</td><td>${esc(r.teardown ?? '–')}</td></tr>`,
    )
    .join('');
}

// --- build output: text nodes only, never parsed as HTML ------------------------------------------
const MAX_LOG_LINES = 200;

function logBlock(runId) {
  for (const el of $('logs').children) if (el.dataset.logRun === runId) return el;
  const el = document.createElement('div');
  el.className = 'log';
  el.dataset.logRun = runId;
  const title = document.createElement('div');
  title.className = 'muted';
  const run = state.runs.active.find((r) => r.runId === runId);
  title.textContent = `output of ${run ? run.name : runId}`;
  el.append(title, document.createElement('pre'));
  $('logs').append(el);
  return el;
}

function appendLog(runId, lines) {
  if (!lines.length) return;
  const pre = logBlock(runId).querySelector('pre');
  const atEnd = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;
  for (const l of lines) {
    const span = document.createElement('span');
    if (l.err) span.className = 'err';
    span.textContent = `${l.text}\n`;
    pre.append(span);
  }
  while (pre.childElementCount > MAX_LOG_LINES) pre.firstElementChild.remove();
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

/** Drops the output of runs no longer shown as active. */
function pruneLogs() {
  const ids = new Set(state.runs.active.map((r) => r.runId));
  for (const el of [...$('logs').children]) if (!ids.has(el.dataset.logRun)) el.remove();
}

function renderEvents() {
  $('no-events').hidden = state.events.length > 0;
  $('events').innerHTML = state.events
    .slice(-60)
    .reverse()
    .map(
      (e) =>
        `<li class="${esc(e.level)}" data-kind="${esc(e.kind)}">${esc(new Date(e.at).toLocaleTimeString())} ${esc(e.text)}</li>`,
    )
    .join('');
}

function renderPatterns() {
  $('patterns').tBodies[0].innerHTML = state.patterns
    .map(
      (p) => `<tr><td>${esc(p.key)}</td><td class="err">${esc(p.evidence)}</td><td>${esc(time(p.updatedAt))}</td></tr>`,
    )
    .join('');
}

// --- the stream -----------------------------------------------------------------------------------
/** The server is reachable but has lost the swarm's bus: say so rather than show frozen numbers as live. */
function showBus(state) {
  const conn = $('conn');
  if (state === 'disconnected') {
    conn.dataset.state = 'lost';
    conn.textContent = 'swarm bus unreachable, waiting for it…';
  } else if (conn.dataset.state !== 'live') {
    conn.dataset.state = 'live';
    conn.textContent = 'live';
  }
}

function connect() {
  const es = new EventSource('events');
  const conn = $('conn');
  es.onopen = () => {
    conn.dataset.state = 'live';
    conn.textContent = 'live';
  };
  es.onerror = () => {
    conn.dataset.state = 'lost';
    conn.textContent = 'connection lost, retrying…';
  };
  const on = (name, fn) => es.addEventListener(name, (m) => fn(JSON.parse(m.data)));
  on('snapshot', (s) => {
    $('host').textContent = `${s.host} · ${s.version}`;
    showBus(s.bus);
    Object.assign(state, {
      services: s.services,
      runs: s.runs,
      events: s.events,
      patterns: s.patterns,
      stages: s.stages || {},
    });
    samples.length = 0;
    state.disks = [];
    chartDefs([]);
    onSamples(s.samples);
    renderServices();
    renderRuns();
    renderEvents();
    renderPatterns();
    $('logs').replaceChildren();
    for (const [runId, lines] of Object.entries(s.logs || {})) appendLog(runId, lines);
  });
  on('services', (rows) => {
    state.services = rows;
    renderServices();
  });
  on('sample', (s) => onSamples([s]));
  on('bus', showBus);
  on('event', (e) => {
    state.events.push(e);
    if (state.events.length > 100) state.events.shift();
    renderEvents();
  });
  on('runs', (r) => {
    state.runs = r;
    renderRuns();
    pruneLogs();
    redrawBands();
  });
  on('stages', (st) => {
    state.stages[st.runId] = st.stages;
    redrawBands();
  });
  on('log', (l) => appendLog(l.runId, l.lines));
  on('patterns', (p) => {
    state.patterns = p;
    renderPatterns();
  });
}

connect();
// Uptimes and elapsed times move on their own.
setInterval(() => {
  renderServices();
  if (state.runs.active.length) renderRuns();
}, 5000);
