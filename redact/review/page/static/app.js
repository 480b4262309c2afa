// redact review: the page an evidence clerk reviews one clip's redaction with.
//
// The server decodes and masks every frame (as the render will); this page only shows its
// JPEGs, draws the boxes over them and edits the clerk's decisions, which it autosaves. No
// framework, no build step, nothing from elsewhere: the CSP allows only this origin, so every
// handler is bound here (no inline script or style in the HTML).
//
// The page speaks the server's interface language (`redact --lang`, REDACT_LANG, the locale),
// from GET /api/i18n: every message is written in English here, as the first argument of t() or
// tn() and always a plain string literal, with {name} placeholders filled from the call's params
// (numbers written as the language writes them). static/locale/<language>.json maps each message
// to its translation: a t() message to a string, a tn() singular to its forms by Intl.PluralRules
// category ({"one": ..., "other": ...}); the English plural is tn()'s second argument. index.html
// marks its text with data-i18n (an element's text) and data-i18n-title, -aria-label and
// -placeholder (an attribute's); an empty value means the English text is the key.
// tests/review/test_page_i18n.py fails on a message without a translation, a translation no
// message uses, differing placeholders, or a message built in code (a template literal).

const $ = (selector, root = document) => root.querySelector(selector);
const byId = (id) => document.getElementById(id);
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const EPS = 1e-6; // times are compared to the microsecond, as the server does
const defaultReason = () => t('missed by the detectors');
const KIND_COLOURS = { face: '#5eb0ff', plate: '#ffd23f' };
const KEPT_COLOUR = '#3ecf6e';
const ADDED_COLOUR = '#ff8c1a';

// ---------------------------------------------------------------------------------- state

const state = {
  clip: null, // the clip's name, as the URL gives it
  info: null, // GET info
  trackById: new Map(),
  subjectById: new Map(), // the items listed: tracks of one face or plate, linked
  subjectOfTrack: new Map(), // track id -> its subject's id
  decisions: emptyDecisions(),
  undo: [], // earlier decisions, newest last
  lastMerge: null, // typing in one field makes one undo step, not one per key
  changeSeq: 0, // bumped at every change; savedSeq: the change the server last accepted
  savedSeq: 0,
  saving: null, // the save in flight (a Promise)
  saveTimer: 0,
  version: 0, // the server's save counter: cache-buster of masked frames
  viewOriginal: false,
  // frames: `frame` is wanted, `shown` is drawn; at most two requests in flight
  frame: 0,
  shown: -1,
  shownKey: '',
  shownSeq: 0,
  loadSeq: 0,
  failedKey: '',
  inflight: new Map(),
  bitmap: null,
  regions: [], // the analysis's regions in the shown frame
  regionCache: new Map(),
  waiters: [], // toFrame() promises
  playing: false,
  playFrom: 0,
  playWall: 0,
  stopAt: null,
  view: { scale: 1, ox: 0, oy: 0, fit: true }, // frame px -> canvas CSS px
  mode: 'none', // 'none' | 'draw' (a new region) | 'keyframe' (a new box for modeRegion)
  modeRegion: -1,
  drag: null,
  waveDrag: null,
  spaceDown: false,
  spaceUsed: false,
  selectedTracks: new Set(), // subject ids
  focusTrack: null, // a subject id
  reasonDrafts: new Map(), // reasons typed for subjects not (or no longer) kept
  kindFilter: 'all',
  selectedRegion: -1,
  following: null, // {index, controller}
  transcript: null, // GET transcript: {available, words: [[start, end, text, probability]], ...}
  waveform: null,
  render: { state: 'idle' },
  renderSeq: 0,
  renderPollErrors: 0,
  renderTimer: 0,
};

let markReady;
const ready = new Promise((resolve) => { markReady = resolve; });
const canvas = byId('frame');

// ------------------------------------------------------------------------------ language

const i18n = { language: 'en', messages: {} };
let plurals = new Intl.PluralRules('en');
const numberFormats = new Map(); // digits after the point ('' for as many as needed, up to 3) -> Intl.NumberFormat

// A number as the page's language writes it (German: 1.234,5), with exactly `digits` decimals when given.
function num(value, digits = null) {
  const key = digits ?? '';
  if (!numberFormats.has(key)) {
    const options = digits === null ? { maximumFractionDigits: 3 } : { minimumFractionDigits: digits, maximumFractionDigits: digits };
    numberFormats.set(key, new Intl.NumberFormat(i18n.language, options));
  }
  return numberFormats.get(key).format(value);
}
const decimalMark = () => num(1.5, 1).replace(/\d/g, '');

const lookup = (message) => (typeof i18n.messages[message] === 'string' ? i18n.messages[message] : message);
const fill = (text, params = {}) => text.replace(/\{(\w+)\}/g, (whole, name) => (
  name in params ? (typeof params[name] === 'number' ? num(params[name]) : String(params[name])) : whole));

// `message` (English, a string literal) in the page's language, its {placeholders} filled from params.
function t(message, params) {
  return fill(lookup(message), params);
}

// The form of a message for n things: the catalog's form for n's plural category, or in English
// `singular` for one and `plural` otherwise; {n} is n.
function tn(singular, plural, n, params = {}) {
  const forms = i18n.messages[singular], category = plurals.select(n);
  const text = forms && typeof forms === 'object' ? forms[category] ?? forms.other : category === 'one' ? singular : plural;
  return fill(text, { n, ...params });
}

// The server's interface language and its messages; English where it cannot say.
async function loadLanguage() {
  try {
    const answer = await api('/api/i18n');
    if (answer?.language) Object.assign(i18n, { language: answer.language, messages: answer.messages || {} });
  } catch (error) {
    status(t('Interface language: {error}', { error: error.message }), 'info');
  }
  try {
    plurals = new Intl.PluralRules(i18n.language);
  } catch {
    Object.assign(i18n, { language: 'en', messages: {} });
  }
  numberFormats.clear();
  translatePage();
}

// The static text of index.html: each marked element's text or attribute, translated by its
// English text (or by the key the marking names, where one English text has two meanings).
function translatePage() {
  document.documentElement.lang = i18n.language;
  const translated = (key) => (typeof i18n.messages[key] === 'string' ? i18n.messages[key] : null);
  for (const node of document.querySelectorAll('[data-i18n]')) {
    const found = translated(node.dataset.i18n || node.textContent.trim().replace(/\s+/g, ' '));
    if (found !== null) node.textContent = found;
  }
  for (const attribute of ['title', 'aria-label', 'placeholder']) {
    for (const node of document.querySelectorAll(`[data-i18n-${attribute}]`)) {
      const found = translated(node.getAttribute(`data-i18n-${attribute}`) || node.getAttribute(attribute));
      if (found !== null) node.setAttribute(attribute, found);
    }
  }
}

// Names the server and the decisions use, as the page shows them.
const KINDS = { face: () => t('face'), plate: () => t('plate') };
const kindName = (kind) => KINDS[kind]?.() ?? kind;
const STYLES = { solid: () => t('solid'), blur: () => t('blur'), pixelate: () => t('pixelate') };
const ACTIONS = { mute: () => t('mute'), bleep: () => t('bleep') };
const STOPPED = {
  end: () => t('end'), lost: () => t('lost'),
  'left the picture': () => t('left the picture'), 'no frames': () => t('no frames'),
};
const CLIP_STATES = {
  analysed: () => [t('analysed'), t('not analysed')], reviewed: () => [t('reviewed'), t('not reviewed')],
  rendered: () => [t('rendered'), t('not rendered')], verified: () => [t('verified'), t('not verified')],
};

// ------------------------------------------------------------------------------- helpers

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');
function clock(time) {
  const ms = Math.max(0, Math.round(time * 1000));
  const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = Math.floor(ms / 1000) % 60;
  return `${pad(h)}:${pad(m)}:${pad(s)}${decimalMark()}${pad(ms % 1000, 3)}`;
}
function short(time) {
  const ms = Math.max(0, Math.round(time * 1000));
  return `${Math.floor(ms / 60000)}:${pad(Math.floor(ms / 1000) % 60)}${decimalMark()}${pad(ms % 1000, 3)}`;
}
const secs = (s) => String(Math.round(s * 1000) / 1000); // for number inputs, which take a point

let statusTimer = 0;
function status(message, kind = 'error') {
  const line = byId('status');
  line.textContent = message;
  line.className = kind;
  clearTimeout(statusTimer);
  if (kind === 'info' && message) statusTimer = setTimeout(() => status(''), 6000);
}

// ----------------------------------------------------------------------------------- API

const clipApi = () => `/api/clips/${encodeURIComponent(state.clip)}`;
const clipHref = (name) => `/?clip=${encodeURIComponent(name)}`;

class ApiError extends Error {
  constructor(message, code) { super(message); this.code = code; }
}

// JSON in and out; every error the server sends is {error}: it becomes the Error's message.
async function api(path, { method = 'GET', body, signal } = {}) {
  const options = { method, signal, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON: say the status */ }
  if (!response.ok) throw new ApiError(data?.error || `${response.status} ${response.statusText}`.trim(), response.status);
  return data;
}

async function errorText(response) {
  try { return (await response.json()).error || response.statusText; } catch { return `${response.status} ${response.statusText}`; }
}

// --------------------------------------------------------------------------------- times

const T = (n) => state.info.times[n];
const D = (n) => state.info.durations[n];
const lastFrame = () => (state.info?.frames ?? 0) - 1;
const frameEnd = (n) => T(n) + (D(n) > 0 ? D(n) : 1 / (state.info.fps || 30));
const clipEnd = () => frameEnd(lastFrame());
// A single keyframe is a still key ending mid-frame: the server shows a region in every frame
// that starts by its last key's end (ranges are inclusive there, masking more rather than
// less), so a key ending where the next frame starts would mask that frame too.
const oneFrameEnd = (n) => T(n) + (frameEnd(n) - T(n)) / 2;

// The frame shown at time t: the last one starting at or before t.
function frameAt(time) {
  const times = state.info.times;
  let lo = 0, hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= time + EPS) lo = mid; else hi = mid - 1;
  }
  return lo;
}

// ----------------------------------------------------------------------------- decisions

function emptyDecisions() {
  return { keep_tracks: [], add_regions: [], redact_pictures: [], audio: [] };
}

// Exactly the four fields the server takes (it refuses others, such as the `version` it answers with).
function normalise(d = {}) {
  d = d || {};
  return {
    keep_tracks: (d.keep_tracks || []).map((k) => ({ track: Number(k.track), reason: String(k.reason ?? '') })),
    add_regions: (d.add_regions || []).map((r) => ({
      keys: (r.keys || []).map((key) => key.map(Number)).sort((a, b) => a[0] - b[0]),
      reason: String(r.reason ?? defaultReason()),
    })),
    redact_pictures: (d.redact_pictures || []).map((p) => ({
      start: Number(p.start), end: Number(p.end), style: String(p.style || 'solid'), reason: String(p.reason ?? ''),
    })),
    audio: (d.audio || []).map((a) => ({
      start: Number(a.start), end: Number(a.end), action: String(a.action || 'mute'), reason: String(a.reason ?? ''),
    })),
  };
}

const validRange = (r) => Number.isFinite(r.start) && Number.isFinite(r.end) && r.start >= 0 && r.start < r.end;
const keptTracks = () => new Map(state.decisions.keep_tracks.map((k) => [k.track, k.reason]));
const subjectOf = (track) => state.subjectOfTrack.get(track) ?? track;
const tracksOf = (subject) => state.subjectById.get(subject)?.tracks ?? [subject];
// Subject id -> the reason it is kept visible: keeping any of its tracks keeps it all (the render does the same).
function keptSubjects() {
  const out = new Map();
  for (const k of state.decisions.keep_tracks) {
    const id = subjectOf(k.track);
    if (!out.has(id)) out.set(id, k.reason);
  }
  return out;
}

// What keeps the draft from being saved; each names the row to mark.
function problems(d = state.decisions) {
  const found = [];
  for (const k of d.keep_tracks) {
    const id = String(subjectOf(k.track));
    if (!k.reason.trim()) found.push({ row: `li[data-track="${id}"]`, text: t('#{id} is kept visible without a reason', { id }) });
  }
  d.add_regions.forEach((r, i) => {
    if (!String(r.reason).trim()) found.push({ row: `#regions li[data-index="${i}"]`, text: t('added region {n} needs a reason', { n: i + 1 }) });
  });
  d.redact_pictures.forEach((p, i) => {
    if (!validRange(p)) found.push({ row: `#pictures li[data-index="${i}"]`, text: t('whole-picture range {n} needs 0 ≤ start < end', { n: i + 1 }) });
    else if (!String(p.reason).trim()) found.push({ row: `#pictures li[data-index="${i}"]`, text: t('whole-picture range {n} needs a reason', { n: i + 1 }) });
  });
  d.audio.forEach((a, i) => {
    if (!validRange(a)) found.push({ row: `#audio-ranges li[data-index="${i}"]`, text: t('audio range {n} needs 0 ≤ start < end', { n: i + 1 }) });
    else if (!String(a.reason).trim()) found.push({ row: `#audio-ranges li[data-index="${i}"]`, text: t('audio range {n} needs a reason', { n: i + 1 }) });
  });
  return found;
}

function markProblems() {
  document.querySelectorAll('.list > li.invalid').forEach((li) => li.classList.remove('invalid'));
  for (const problem of problems()) document.querySelector(problem.row)?.classList.add('invalid');
}

// ----------------------------------------------------- added regions: keys [t0, t1, x0, y0, x1, y1]

// The box at time t, as the server computes it (operator_regions.box_at): a key's box during
// its span, moving linearly between keys, held outside the span.
function boxAt(keys, time) {
  for (let i = 0; i < keys.length; i++) {
    const [start, end] = keys[i];
    if (time <= end) {
      if (i === 0 || time >= start) return keys[i].slice(2);
      const before = keys[i - 1], w = (time - before[1]) / (start - before[1]);
      return before.slice(2).map((v, j) => (1 - w) * v + w * keys[i][2 + j]);
    }
  }
  return keys[keys.length - 1].slice(2);
}

// The region's box in frame n, or null where the region is not shown: as the server decides
// (operator_regions.boxes_in_frame), in every frame shown between its first key's start and
// its last key's end, both included.
function regionBoxAt(keys, n) {
  if (!keys.length || n < 0) return null;
  const time = T(n), first = keys[0][0], last = keys[keys.length - 1][1];
  if (time > last + EPS || time + Math.max(D(n), EPS) <= first + EPS) return null;
  return boxAt(keys, clamp(time, first, last));
}

const keyIndexAt = (keys, n) => (n < 0 ? -1 : keys.findIndex((k) => Math.abs(k[0] - T(n)) < EPS));

// A still key lasting exactly one frame (how a single keyframe is stored).
function isOneFrame(key) {
  const n = frameAt(key[0]);
  return Math.abs(key[0] - T(n)) < EPS && Math.abs(key[1] - oneFrameEnd(n)) < EPS;
}

// One-frame keys become moments, so that two keyframes move in a straight line between them.
const toPoints = (keys) => keys.map((k) => (isOneFrame(k) ? [k[0], k[0], ...k.slice(2)] : k.slice()));

// Keys with nothing left in [lo, hi] (frame times): a span key crossing it keeps its parts
// outside, ending at the frame before lo and starting at the frame after hi.
function cutSpan(keys, lo, hi) {
  const out = [];
  for (const k of keys) {
    if (k[1] < lo - EPS || k[0] > hi + EPS) { out.push(k); continue; }
    const box = k.slice(2), before = frameAt(lo) - 1, after = frameAt(hi) + 1;
    if (k[0] < lo - EPS && before >= 0 && T(before) >= k[0] - EPS) out.push([k[0], Math.min(k[1], T(before)), ...box]);
    if (k[1] > hi + EPS && after <= lastFrame() && T(after) <= k[1] + EPS) out.push([Math.max(k[0], T(after)), k[1], ...box]);
  }
  return out;
}

// Sorted, strictly forward in time (the server refuses others); a lone keyframe lasts one frame.
function normalizeKeys(keys) {
  let sorted = keys.map((k) => k.map(Number)).sort((a, b) => a[0] - b[0]);
  if (sorted.length > 1) sorted = toPoints(sorted);
  const clean = [];
  for (const k of sorted) {
    const previous = clean[clean.length - 1];
    if (previous && k[0] <= previous[1] + EPS) clean[clean.length - 1] = k; // same moment: the later wins
    else clean.push(k);
  }
  if (clean.length === 1 && clean[0][1] - clean[0][0] < EPS) {
    const n = frameAt(clean[0][0]);
    clean[0] = [T(n), oneFrameEnd(n), ...clean[0].slice(2)];
  }
  return clean;
}

function setKeyframe(region, n, box) {
  region.keys = normalizeKeys([...cutSpan(toPoints(region.keys), T(n), T(n)), [T(n), T(n), ...box]]);
}

function mergeFollowed(region, followed) {
  const lo = Math.min(...followed.map((k) => k[0])), hi = Math.max(...followed.map((k) => k[1]));
  region.keys = normalizeKeys([...cutSpan(toPoints(region.keys), lo, hi), ...followed]);
}

// A box in whole frame pixels, inside the picture, x0 < x1 and y0 < y1 when it has a size.
function cleanBox([x0, y0, x1, y1]) {
  const { width, height } = state.info;
  const x = (v) => clamp(Math.round(v), 0, width), y = (v) => clamp(Math.round(v), 0, height);
  return [x(Math.min(x0, x1)), y(Math.min(y0, y1)), x(Math.max(x0, x1)), y(Math.max(y0, y1))];
}
const boxSize = (b) => Math.min(b[2] - b[0], b[3] - b[1]);
const corners = ([x0, y0, x1, y1]) => [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];

// ------------------------------------------------------------------------ changes and undo

// Every edit goes through here: undo step, panels, canvas, autosave.
function change(mutate, { merge = null, rebuild = true } = {}) {
  if (!merge || merge !== state.lastMerge) pushUndo();
  state.lastMerge = merge;
  mutate(state.decisions);
  state.changeSeq += 1;
  if (rebuild) renderPanels();
  else { updateTracks(); markProblems(); updateUndo(); }
  draw();
  drawWaveform();
  noteRenderStale();
  scheduleSave();
}

function pushUndo() {
  state.undo.push(structuredClone(state.decisions));
  if (state.undo.length > 200) state.undo.shift();
}

function undo() {
  const previous = state.undo.pop();
  if (!previous) return;
  state.decisions = previous;
  state.lastMerge = null;
  state.changeSeq += 1;
  if (state.selectedRegion >= previous.add_regions.length) state.selectedRegion = -1;
  renderPanels();
  draw();
  drawWaveform();
  noteRenderStale();
  scheduleSave();
}

const updateUndo = () => { byId('undo').disabled = state.undo.length === 0; };

// ---------------------------------------------------------------------------------- saving

function setSaveState(text, kind) {
  const label = byId('save-state');
  label.textContent = text;
  label.className = kind;
  label.title = text;
}

function scheduleSave() {
  clearTimeout(state.saveTimer);
  const found = problems();
  if (found.length) { setSaveState(t('Not saved: {why}', { why: found[0].text }), 'bad'); return; }
  setSaveState(t('Unsaved changes'), 'busy');
  state.saveTimer = setTimeout(save, 400);
}

// PUT the decisions; the server answers with them as it normalised them, which the page adopts
// unless the clerk changed something meanwhile (then that change is saved next).
async function save() {
  clearTimeout(state.saveTimer);
  if (state.saving) return state.saving; // it reschedules itself when it ends
  if (state.savedSeq === state.changeSeq) return true;
  if (problems().length) return false;
  const seq = state.changeSeq;
  setSaveState(t('Saving…'), 'busy');
  state.saving = (async () => {
    try {
      const saved = await api(`${clipApi()}/decisions`, { method: 'PUT', body: normalise(state.decisions) });
      state.savedSeq = seq;
      state.version = Number.isFinite(saved?.version) ? saved.version : state.version + 1;
      if (seq === state.changeSeq) { adopt(saved); setSaveState(t('Saved'), 'ok'); }
      requestFrame(state.frame); // the masked picture follows the saved decisions
      refreshThumbs(); // a kept track's thumbnail shows it unmasked now, as the render will
      return true;
    } catch (error) {
      setSaveState(t('Not saved: {why}', { why: error.message }), 'bad');
      return false;
    } finally {
      state.saving = null;
    }
  })();
  const ok = await state.saving;
  if (state.changeSeq !== seq) scheduleSave(); // edits made meanwhile: they may fix a refusal too
  return ok;
}

function adopt(saved) {
  const theirs = normalise(saved);
  if (JSON.stringify(theirs) === JSON.stringify(normalise(state.decisions))) return;
  state.decisions = theirs;
  if (state.selectedRegion >= theirs.add_regions.length) state.selectedRegion = -1;
  renderPanels();
  draw();
  drawWaveform();
}

// Everything saved before a render (it renders what is saved).
async function flushSave() {
  for (let tries = 0; state.savedSeq !== state.changeSeq; tries++) {
    const found = problems();
    if (found.length) throw new Error(found[0].text);
    if (tries > 3 || !(await save())) throw new Error(byId('save-state').textContent);
  }
}

// -------------------------------------------------------------------------- frame loading

const viewName = () => (state.viewOriginal ? 'original' : 'masked');
const frameKey = (n) => `${n}|${viewName()}|${state.version}`;

function requestFrame(n) {
  if (!state.info?.frames) return;
  state.frame = clamp(Math.round(n), 0, lastFrame());
  state.failedKey = '';
  updateTransport();
  if (!state.playing) seekAudio();
  pump();
}

function goTo(n) {
  pause();
  requestFrame(n);
}

// Load the wanted frame unless it is shown or loading; two loads at most, so a slow server
// makes playback skip frames rather than queue them. A load answered after a later one is dropped.
function pump() {
  const n = state.frame, key = frameKey(n);
  if (key === state.shownKey) { settleWaiters(); return; }
  if (key === state.failedKey || state.inflight.has(key) || state.inflight.size >= 2) return;
  const seq = ++state.loadSeq;
  state.inflight.set(key, seq);
  Promise.all([fetchPicture(n), fetchRegions(n)])
    .then(([bitmap, regions]) => {
      if (seq > state.shownSeq) showFrame(n, key, seq, bitmap, regions);
      else bitmap.close();
    })
    .catch((error) => {
      if (key !== frameKey(state.frame)) return;
      state.failedKey = key;
      status(t('Frame {n}: {error}', { n: String(n), error: error.message }));
      rejectWaiters(n, error);
    })
    .finally(() => { state.inflight.delete(key); pump(); });
}

async function fetchPicture(n) {
  const response = await fetch(`${clipApi()}/frame/${n}.jpg?view=${viewName()}&v=${state.version}`, { credentials: 'same-origin' });
  if (!response.ok) throw new ApiError(await errorText(response), response.status);
  return createImageBitmap(await response.blob());
}

async function fetchRegions(n) {
  if (state.regionCache.has(n)) return state.regionCache.get(n);
  try {
    const regions = (await api(`${clipApi()}/regions/${n}`)).regions || [];
    state.regionCache.set(n, regions);
    return regions;
  } catch {
    return []; // the picture matters more than its outlines
  }
}

function showFrame(n, key, seq, bitmap, regions) {
  state.bitmap?.close();
  Object.assign(state, { bitmap, regions, shown: n, shownKey: key, shownSeq: seq });
  draw();
  canvas.dataset.frame = String(n);
  settleWaiters();
}

function settleWaiters() {
  state.waiters = state.waiters.filter((w) => {
    if (w.n === state.shown && state.shownKey === frameKey(w.n)) { w.resolve(w.n); return false; }
    if (w.n !== state.frame) { w.resolve(state.shown); return false; } // superseded by a later request
    return true;
  });
}

function rejectWaiters(n, error) {
  state.waiters = state.waiters.filter((w) => (w.n === n ? (w.reject(error), false) : true));
}

// For tests and scripts: resolves when frame n is drawn.
async function toFrame(n) {
  await ready;
  return new Promise((resolve, reject) => {
    const target = clamp(Math.round(n), 0, lastFrame());
    state.waiters.push({ n: target, resolve, reject });
    goTo(target);
  });
}

function updateTransport() {
  const n = state.frame, scrubber = byId('scrubber');
  if (Number(scrubber.value) !== n) scrubber.value = String(n);
  byId('frame-label').textContent = t('{time}  frame {n} / {frames}', { time: clock(T(n)), n: String(n), frames: String(state.info.frames) });
  drawWaveform();
}

// -------------------------------------------------------------------------------- playback

// Frames follow the wall clock from where play started (the clip's own times, so variable
// frame rates play right); the audio plays along and is pulled back when it drifts.
function play(stopAt = null) {
  if (!state.info?.frames || state.playing) return;
  if (state.frame >= lastFrame()) requestFrame(0);
  Object.assign(state, { playing: true, stopAt, playFrom: T(state.frame), playWall: performance.now() });
  startAudio(state.playFrom);
  updatePlayButtons();
  requestAnimationFrame(tick);
}

function tick() {
  if (!state.playing) return;
  const time = state.playFrom + (performance.now() - state.playWall) / 1000;
  const end = Math.min(state.stopAt ?? Infinity, clipEnd());
  if (time >= end) {
    pause();
    requestFrame(frameAt(end - EPS));
    return;
  }
  const n = frameAt(time);
  if (n !== state.frame) requestFrame(n);
  const audio = byId('audio');
  if (state.info.has_audio && !audio.paused && Math.abs(audio.currentTime - time) > 0.25) audio.currentTime = time;
  requestAnimationFrame(tick);
}

function pause() {
  if (!state.playing) return;
  Object.assign(state, { playing: false, stopAt: null });
  if (state.info.has_audio) byId('audio').pause();
  seekAudio();
  updatePlayButtons();
}

const togglePlay = () => (state.playing ? pause() : play());

function playRange(range) {
  if (!validRange(range)) return;
  goTo(frameAt(range.start));
  play(range.end);
}

function startAudio(time) {
  if (!state.info.has_audio) return;
  const audio = byId('audio');
  audio.currentTime = time;
  audio.play().catch((error) => { if (error.name !== 'AbortError') status(t('Audio: {error}', { error: error.message }), 'info'); });
}

function seekAudio() {
  if (!state.info?.has_audio || state.playing) return;
  try { byId('audio').currentTime = T(state.frame); } catch { /* not loaded yet */ }
}

function updatePlayButtons() {
  byId('play').textContent = state.playing ? t('Pause') : t('Play');
  byId('audio-play').textContent = state.playing ? t('Pause audio') : t('Play audio');
}

// ------------------------------------------------------------------------ canvas: the view

function fitView() {
  const { width, height } = state.info, cw = canvas.clientWidth, ch = canvas.clientHeight;
  const scale = Math.min(cw / width, ch / height) || 1;
  state.view = { scale, ox: (cw - width * scale) / 2, oy: (ch - height * scale) / 2, fit: true };
}

function zoomAt(cx, cy, factor) {
  const v = state.view, scale = clamp(v.scale * factor, 0.05, 32), f = scale / v.scale;
  state.view = { scale, ox: cx - (cx - v.ox) * f, oy: cy - (cy - v.oy) * f, fit: false };
  updateZoomButton();
  draw();
}

function toggleZoom() {
  if (!state.info) return;
  if (state.view.fit) zoomAt(canvas.clientWidth / 2, canvas.clientHeight / 2, 1 / state.view.scale);
  else { state.view.fit = true; draw(); }
  updateZoomButton();
}

const updateZoomButton = () => { byId('zoom').textContent = state.view.fit ? '1:1' : t('Fit'); };

function toFramePx(clientX, clientY) {
  const rect = canvas.getBoundingClientRect(), v = state.view;
  return { x: (clientX - rect.left - v.ox) / v.scale, y: (clientY - rect.top - v.oy) / v.scale };
}

// Frame pixel (x, y) -> client coordinates (for tests that drag on the canvas).
function framePoint(x, y) {
  if (state.view.fit && state.info) fitView();
  const rect = canvas.getBoundingClientRect(), v = state.view;
  return { x: rect.left + v.ox + x * v.scale, y: rect.top + v.oy + y * v.scale };
}

// ---------------------------------------------------------------------- canvas: drawing

function draw() {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr)), h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#101113';
  ctx.fillRect(0, 0, w, h);
  if (!state.info) return;
  if (state.view.fit) fitView();
  const { scale, ox, oy } = state.view;
  ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * ox, dpr * oy);
  ctx.imageSmoothingEnabled = scale < 2; // zoomed in, show the real pixels
  if (state.bitmap) ctx.drawImage(state.bitmap, 0, 0, state.info.width, state.info.height);
  const px = 1 / scale; // one screen pixel, in frame pixels: lines keep their width when zoomed
  if (state.shown >= 0) {
    drawTracks(ctx, px);
    drawPictureRanges(ctx, px);
    drawAddedRegions(ctx, px);
  }
  drawDraft(ctx, px);
}

function outline(ctx, box, px, { colour, width = 2, dash = null, label = '' }) {
  const [x0, y0, x1, y1] = box;
  ctx.lineWidth = width * px;
  ctx.strokeStyle = colour;
  ctx.setLineDash(dash ? dash.map((d) => d * px) : []);
  ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  if (!label) return;
  ctx.setLineDash([]);
  ctx.font = `${12 * px}px system-ui, sans-serif`;
  const th = 16 * px, tw = ctx.measureText(label).width + 8 * px, ly = y0 - th >= 0 ? y0 - th : y0;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.7)';
  ctx.fillRect(x0, ly, tw, th);
  ctx.fillStyle = colour;
  ctx.textBaseline = 'middle';
  ctx.fillText(label, x0 + 4 * px, ly + th / 2);
}

function drawTracks(ctx, px) {
  const kept = keptTracks(), subjects = keptSubjects(); // the page's decisions, saved or not
  for (const r of state.regions) {
    const id = subjectOf(r.track);
    const twinOf = state.trackById.get(r.track)?.twin_of; // before subjects: the kept face seen turned
    const isKept = subjects.has(id) || (twinOf !== undefined && kept.has(twinOf));
    const selected = state.selectedTracks.has(id) || state.focusTrack === id;
    const uncertain = state.subjectById.get(id)?.confident === false;
    const named = { id: String(id), kind: kindName(r.kind) };
    outline(ctx, r.box, px, {
      colour: isKept ? KEPT_COLOUR : KIND_COLOURS[r.kind] || '#c586ff',
      width: selected ? 4 : 2,
      dash: isKept ? [6, 4] : uncertain ? [2, 3] : null,
      label: isKept ? t('#{id} {kind} kept', named) : uncertain ? t('#{id} {kind} uncertain', named) : t('#{id} {kind}', named),
    });
  }
}

function drawPictureRanges(ctx, px) {
  const time = T(state.shown), end = frameEnd(state.shown);
  const active = state.decisions.redact_pictures.filter((p) => validRange(p) && end > p.start + EPS && time < p.end - EPS);
  if (!active.length) return;
  const { width, height } = state.info;
  ctx.fillStyle = 'rgba(255, 92, 92, 0.12)';
  ctx.fillRect(0, 0, width, height);
  const styles = active.map((p) => STYLES[p.style]?.() ?? p.style).join(', ');
  outline(ctx, [0, 0, width, height], px, { colour: '#ff5c5c', width: 3, dash: [10, 6], label: t('whole picture: {styles}', { styles }) });
}

function drawAddedRegions(ctx, px) {
  state.decisions.add_regions.forEach((region, i) => {
    const dragged = state.drag?.index === i ? state.drag.box : null;
    const box = dragged || regionBoxAt(region.keys, state.shown);
    if (!box) return;
    const selected = i === state.selectedRegion, keyed = keyIndexAt(region.keys, state.shown) >= 0;
    outline(ctx, box, px, { colour: ADDED_COLOUR, width: selected ? 4 : 2, label: t('added {n}', { n: i + 1 }) + (keyed ? ' ◆' : '') });
    if (!selected) return;
    ctx.fillStyle = ADDED_COLOUR;
    for (const [x, y] of corners(box)) ctx.fillRect(x - 4 * px, y - 4 * px, 8 * px, 8 * px);
  });
}

function drawDraft(ctx, px) {
  const d = state.drag;
  if (d?.type === 'draw') outline(ctx, [d.a.x, d.a.y, d.b.x, d.b.y].map(Number), px, { colour: '#ffffff', width: 2, dash: [5, 4] });
}

// ----------------------------------------------------------------------- canvas: the mouse

function setMode(mode, region = -1) {
  state.mode = mode;
  state.modeRegion = region;
  const button = byId('draw-box');
  button.setAttribute('aria-pressed', String(mode === 'draw'));
  button.classList.toggle('active', mode === 'draw');
  canvas.classList.toggle('drawing', mode !== 'none');
  const hint = byId('mode-hint');
  hint.hidden = mode === 'none';
  hint.textContent = mode === 'draw'
    ? t('Drag a box around what must be masked on this frame (Esc cancels)')
    : t('Drag the new box of region {n} on this frame (Esc cancels)', { n: region + 1 });
}

function onCanvasDown(e) {
  if (!state.info) return;
  if (e.button === 1 || (e.button === 0 && state.spaceDown)) {
    e.preventDefault();
    state.spaceUsed = true;
    state.drag = { type: 'pan', x: e.clientX, y: e.clientY, ox: state.view.ox, oy: state.view.oy };
    return;
  }
  if (e.button !== 0 || state.shown < 0) return;
  e.preventDefault();
  pause();
  const p = toFramePx(e.clientX, e.clientY);
  if (state.mode !== 'none') { state.drag = { type: 'draw', a: p, b: p }; return; }
  const hit = hitAddedRegion(p);
  if (hit) {
    selectRegion(hit.index);
    state.drag = { type: hit.corner >= 0 ? 'resize' : 'move', ...hit, start: p, box: hit.box0, moved: false };
    return;
  }
  const track = hitTrack(p);
  if (track !== null) focusTrack(subjectOf(track), false);
}

// The selected region's corners are handles; inside any shown region moves it.
function hitAddedRegion(p) {
  const tolerance = 8 / state.view.scale, regions = state.decisions.add_regions;
  const order = [state.selectedRegion, ...regions.map((_, i) => i).reverse()].filter((i) => i >= 0 && i < regions.length);
  for (const index of order) {
    const box = regionBoxAt(regions[index].keys, state.shown);
    if (!box) continue;
    if (index === state.selectedRegion) {
      const corner = corners(box).findIndex(([x, y]) => Math.abs(p.x - x) <= tolerance && Math.abs(p.y - y) <= tolerance);
      if (corner >= 0) return { index, corner, box0: box };
    }
    if (p.x >= box[0] && p.x <= box[2] && p.y >= box[1] && p.y <= box[3]) return { index, corner: -1, box0: box };
  }
  return null;
}

// The smallest of the analysis's boxes under the point.
function hitTrack(p) {
  let best = null, bestArea = Infinity;
  for (const r of state.regions) {
    const [x0, y0, x1, y1] = r.box, area = (x1 - x0) * (y1 - y0);
    if (p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1 && area < bestArea) { best = r.track; bestArea = area; }
  }
  return best;
}

function onMouseMove(e) {
  if (state.waveDrag) { state.waveDrag.b = waveTime(e); drawWaveform(); return; }
  const d = state.drag;
  if (!d) return;
  if (d.type === 'pan') {
    state.view = { ...state.view, ox: d.ox + e.clientX - d.x, oy: d.oy + e.clientY - d.y, fit: false };
    updateZoomButton();
    draw();
    return;
  }
  const p = toFramePx(e.clientX, e.clientY);
  if (d.type === 'draw') d.b = p;
  else if (d.type === 'move') {
    const { width, height } = state.info, [x0, y0, x1, y1] = d.box0;
    const dx = clamp(p.x - d.start.x, -x0, width - x1), dy = clamp(p.y - d.start.y, -y0, height - y1);
    d.box = [x0 + dx, y0 + dy, x1 + dx, y1 + dy];
  } else if (d.type === 'resize') {
    const box = d.box0.slice(), [xi, yi] = [[0, 1], [2, 1], [2, 3], [0, 3]][d.corner];
    box[xi] = p.x;
    box[yi] = p.y;
    d.box = cleanBox(box);
  }
  d.moved = true;
  draw();
}

function onMouseUp() {
  if (state.waveDrag) { finishWaveDrag(); return; }
  const d = state.drag;
  if (!d) return;
  state.drag = null;
  if (d.type === 'draw') finishDrawing(cleanBox([d.a.x, d.a.y, d.b.x, d.b.y]));
  else if ((d.type === 'move' || d.type === 'resize') && d.moved) {
    const box = cleanBox(d.box), n = state.shown;
    if (boxSize(box) >= 2) change((dec) => setKeyframe(dec.add_regions[d.index], n, box));
    else draw();
  } else draw();
}

function finishDrawing(box) {
  if (boxSize(box) < 3) { draw(); return; } // a click, not a box: stay in the mode
  const { mode, modeRegion: index } = state, n = state.shown;
  setMode('none');
  if (mode === 'keyframe' && state.decisions.add_regions[index]) {
    change((d) => setKeyframe(d.add_regions[index], n, box));
  } else {
    state.selectedRegion = state.decisions.add_regions.length;
    change((d) => d.add_regions.push({ keys: [[T(n), oneFrameEnd(n), ...box]], reason: defaultReason() }));
  }
}

// ------------------------------------------------------------------------------ tracks panel

// The sound as the render will make it (ranges muted or bleeped), or as recorded with the original on.
const audioUrl = () => `${clipApi()}/audio.wav?view=${viewName()}&v=${state.version}`;
const thumbUrl = (id) => `${clipApi()}/thumb/${id}.jpg?view=${viewName()}&v=${state.version}`;

function buildTracks() {
  const subjects = state.info.subjects, listed = subjects.filter((s) => s.confident);
  byId('tracks').replaceChildren(...listed.map(trackRow));
  byId('tracks-empty').hidden = subjects.length > 0;
  const groups = [...new Set(subjects.filter((s) => !s.confident).map((s) => s.kind))].sort();
  byId('uncertain').replaceChildren(...groups.map((kind) => uncertainGroup(kind, subjects.filter((s) => !s.confident && s.kind === kind))));
  const kinds = [...new Set(subjects.map((s) => s.kind))].sort();
  byId('kind-filter').append(...kinds.map((kind) => el('option', { value: kind, textContent: kindName(kind) })));
  updateTracks();
}

const maskedSpan = (s) => t('masked {from}–{to} ({seconds} s)', { from: short(s.start_s), to: short(s.end_s), seconds: num(Number(s.masked_s), 1) });

// The title of a subject's "n tracks" button: what they are, and why to look at them.
function tracksTitle(s) {
  const tracks = s.tracks.join(', ');
  if (s.kind === 'face') return t('Tracks {tracks}: the same face lost and found again, or found by another model or on a turned copy. Kept or masked together: show them to check each is this person.', { tracks });
  if (s.kind === 'plate') return t('Tracks {tracks}: the same plate lost and found again, or found by another model or on a turned copy. Kept or masked together: show them to check each is this plate.', { tracks });
  return t('Tracks {tracks}: the same {kind} lost and found again, or found by another model or on a turned copy. Kept or masked together: show them to check each is this {kind}.', { tracks, kind: kindName(s.kind) });
}

function trackRow(s) {
  return el('li', { class: 'track', dataset: { track: s.id }, title: t('Click to go to its first masked frame') },
    el('img', { class: 'thumb', alt: `#${s.id}`, loading: 'lazy', src: thumbUrl(s.best_track), dataset: { thumb: s.best_track } }),
    el('div', { class: 'meta' },
      el('strong', { textContent: `#${s.id}` }),
      el('span', { class: `kind ${s.kind}`, textContent: s.kind === 'face' ? t('person') : kindName(s.kind) }),
      el('span', { class: 'span', textContent: maskedSpan(s) }),
      s.tracks.length > 1 ? el('button', {
        type: 'button', class: 'tracks', textContent: tn('{n} track', '{n} tracks', s.tracks.length), title: tracksTitle(s),
      }) : null,
      el('span', {
        class: 'dim', textContent: t('sure {score}', { score: num(Number(s.confidence), 2) }),
        title: t('From its whole history: best scores, how often it was found, how many models agreed'),
      })),
    el('div', { class: 'checks' },
      el('label', {}, el('input', { type: 'checkbox', class: 'keep' }), ' ', t('keep visible')),
      el('label', {}, el('input', { type: 'checkbox', class: 'select' }), ' ', t('select'))),
    el('input', { type: 'text', class: 'reason', placeholder: t('reason to keep it visible (required)') }),
    el('span', { class: 'problem', textContent: t('A kept subject needs a reason: not saved until it has one.') }),
    s.tracks.length > 1 ? el('div', { class: 'fragments', hidden: true }, ...s.tracks.map((track) => el('figure', {},
      el('img', { class: 'thumb', alt: t('track {n}', { n: String(track) }), loading: 'lazy', dataset: { thumb: track } }),
      el('figcaption', { textContent: `#${track}` })))) : null);
}

// "3 uncertain face regions (masked)": the heading of a kind's contact sheet.
function uncertainHeading(kind, n) {
  if (kind === 'face') return tn('{n} uncertain face region (masked)', '{n} uncertain face regions (masked)', n);
  if (kind === 'plate') return tn('{n} uncertain plate region (masked)', '{n} uncertain plate regions (masked)', n);
  return tn('{n} uncertain {kind} region (masked)', '{n} uncertain {kind} regions (masked)', n, { kind: kindName(kind) });
}

// Short, weak or single-model detections: masked, and shown as one contact sheet per kind to
// scan, with bulk keep, instead of a row each (a street clip has hundreds).
function uncertainGroup(kind, subjects) {
  const sheet = el('ul', { class: 'sheet' }, ...subjects.map((s) => el('li', {
    class: 'uncertain', dataset: { track: s.id },
    title: t('#{id}: {span}, sure {score}. Click to go to it.', { id: String(s.id), span: maskedSpan(s), score: num(Number(s.confidence), 2) }),
  },
    el('img', { class: 'thumb', alt: `#${s.id}`, loading: 'lazy', dataset: { thumb: s.best_track } }), // hundreds on a street clip: those in view
    el('label', {}, el('input', { type: 'checkbox', class: 'select' }), ` ${short(s.start_s)}`))));
  const group = el('details', { class: 'uncertain-group', dataset: { kind } },
    el('summary', {}, uncertainHeading(kind, subjects.length)),
    el('p', { class: 'hint', textContent: t('Short, weak or found by one model only: masked in the derivative. The crops are masked too: show the original (logged) to see what they are. Select any, then Keep visible above, with a reason.') }),
    el('button', { type: 'button', class: 'select-group', textContent: t('Select all in this group') }),
    sheet);
  group.addEventListener('toggle', () => { if (group.open) refreshThumbs(); }); // loaded when opened
  return group;
}

// Rows are built once (thumbnails stay loaded); this reflects the state onto them.
function updateTracks() {
  if (!state.info) return;
  const kept = keptSubjects(), keptIds = keptTracks();
  // an analysis made before subjects: a face seen on a turned copy is kept with its face, as drawn and rendered
  const keptTwin = (id) => keptIds.has(state.trackById.get(id)?.twin_of);
  for (const li of byId('tracks').children) {
    const id = Number(li.dataset.track), reason = kept.get(id), reasonBox = $('input.reason', li);
    $('input.keep', li).checked = reason !== undefined;
    $('input.select', li).checked = state.selectedTracks.has(id);
    if (document.activeElement !== reasonBox) reasonBox.value = reason ?? state.reasonDrafts.get(id) ?? '';
    li.classList.toggle('kept', reason !== undefined || keptTwin(id));
    li.classList.toggle('picked', state.selectedTracks.has(id));
    li.classList.toggle('selected', state.focusTrack === id);
    li.hidden = state.kindFilter !== 'all' && state.subjectById.get(id)?.kind !== state.kindFilter;
  }
  for (const li of document.querySelectorAll('#uncertain li.uncertain')) {
    const id = Number(li.dataset.track);
    $('input.select', li).checked = state.selectedTracks.has(id);
    li.classList.toggle('kept', kept.has(id) || keptTwin(id));
    li.classList.toggle('picked', state.selectedTracks.has(id));
    li.classList.toggle('selected', state.focusTrack === id);
  }
  for (const group of document.querySelectorAll('#uncertain details')) {
    group.hidden = state.kindFilter !== 'all' && group.dataset.kind !== state.kindFilter;
  }
  const c = state.info.counts || {};
  byId('selection-count').textContent = t('{n} selected', { n: state.selectedTracks.size });
  byId('track-count').textContent = t('{people}, {plates}, {uncertain} (masked) · {kept} kept', {
    people: tn('{n} person', '{n} people', c.people ?? 0),
    plates: tn('{n} plate', '{n} plates', c.plates ?? 0),
    uncertain: tn('{n} uncertain region', '{n} uncertain regions', c.uncertain ?? 0),
    kept: kept.size,
  });
}

function onTracksEvent(e) {
  const group = e.target.closest('details.uncertain-group');
  if (group && e.type === 'click' && e.target.matches('button.select-group')) {
    for (const li of group.querySelectorAll('li.uncertain')) state.selectedTracks.add(Number(li.dataset.track));
    updateTracks();
    draw();
    return;
  }
  const li = e.target.closest('li.track, li.uncertain');
  if (!li) return;
  const id = Number(li.dataset.track), target = e.target;
  if (e.type === 'click' && target.matches('button.tracks')) { // each track's best crop, to check the linking
    const fragments = $('.fragments', li);
    fragments.hidden = !fragments.hidden;
    target.setAttribute('aria-expanded', String(!fragments.hidden));
    refreshThumbs();
    return;
  }
  if (e.type === 'change' && target.matches('input.keep')) setKept(id, target.checked, li);
  else if (e.type === 'change' && target.matches('input.select')) {
    if (target.checked) state.selectedTracks.add(id); else state.selectedTracks.delete(id);
    updateTracks();
    draw();
  } else if (e.type === 'input' && target.matches('input.reason')) setKeptReason(id, target.value);
  else if (e.type === 'click' && !target.closest('input, label')) focusTrack(id, true);
}

// Keeping a subject keeps every track of it: one entry, the subject's id (its first track); the
// render keeps the rest with it and logs them.
function setKept(id, on, li) {
  const reasonBox = $('input.reason', li), mine = new Set(tracksOf(id));
  if (on) {
    const reason = reasonBox.value;
    change((d) => {
      d.keep_tracks = d.keep_tracks.filter((k) => !mine.has(k.track));
      d.keep_tracks.push({ track: id, reason });
    }, { rebuild: false });
    if (!reason.trim()) reasonBox.focus(); // asks for the reason; not saved until it has one
  } else {
    state.reasonDrafts.set(id, keptSubjects().get(id) ?? '');
    change((d) => { d.keep_tracks = d.keep_tracks.filter((k) => !mine.has(k.track)); }, { rebuild: false });
  }
}

function setKeptReason(id, reason) {
  if (!keptSubjects().has(id)) { state.reasonDrafts.set(id, reason); return; }
  const mine = new Set(tracksOf(id));
  change((d) => { for (const k of d.keep_tracks) if (mine.has(k.track)) k.reason = reason; }, { merge: `keep-${id}`, rebuild: false });
}

function focusTrack(id, jump) {
  state.focusTrack = id;
  updateTracks();
  const subject = state.subjectById.get(id);
  if (jump && subject) goTo(subject.first_frame);
  else {
    $(`li[data-track="${id}"]`)?.scrollIntoView({ block: 'nearest' });
    draw();
  }
}

function selectTracks(predicate) {
  if (!state.info) return;
  state.selectedTracks = new Set(state.info.subjects.filter(predicate).map((s) => s.id));
  updateTracks();
  draw();
}

function bulkKeep() {
  const reason = byId('bulk-reason').value.trim(), ids = state.selectedTracks;
  if (!ids.size) { status(t('Select what to keep first.'), 'info'); return; }
  if (!reason) { status(t('Give the reason the selected stay visible.')); byId('bulk-reason').focus(); return; }
  const theirs = new Set([...ids].flatMap(tracksOf));
  change((d) => {
    d.keep_tracks = d.keep_tracks.filter((k) => !theirs.has(k.track));
    for (const id of ids) d.keep_tracks.push({ track: id, reason });
  }, { rebuild: false });
}

function bulkRedact() {
  const ids = state.selectedTracks;
  if (!ids.size) { status(t('Select what to redact first.'), 'info'); return; }
  const theirs = new Set([...ids].flatMap(tracksOf));
  change((d) => { d.keep_tracks = d.keep_tracks.filter((k) => !theirs.has(k.track)); }, { rebuild: false });
}

// ------------------------------------------------------------------- lists of decisions

function renderPanels() {
  updateTracks();
  renderRegions();
  renderPictures();
  renderAudioRanges();
  markTranscript();
  markProblems();
  updateUndo();
}

// Replace a list's rows, keeping the field being typed in focused, with what was typed.
function rebuildList(list, rows) {
  const active = document.activeElement;
  let memory = null;
  if (active && list.contains(active) && active.classList.length) {
    memory = { index: active.closest('li[data-index]')?.dataset.index, cls: active.classList[0], value: active.value };
    try { memory.caret = [active.selectionStart, active.selectionEnd]; } catch { /* number inputs have none */ }
  }
  list.replaceChildren(...rows);
  if (!memory) return;
  const again = $(`li[data-index="${memory.index}"] .${memory.cls}`, list);
  if (!again) return;
  if (again.tagName === 'INPUT' && again.type !== 'checkbox') again.value = memory.value;
  again.focus();
  if (memory.caret && memory.caret[0] !== null) {
    try { again.setSelectionRange(...memory.caret); } catch { /* not a text field */ }
  }
}

const button = (cls, text, props = {}) => el('button', { type: 'button', class: cls, textContent: text, ...props });
const numberInput = (cls, value, label) => el('input', {
  type: 'number', class: cls, step: '0.001', min: '0', value: Number.isFinite(value) ? secs(value) : '', title: label,
});
// options: value -> a function giving its label in the page's language
function selectInput(cls, options, value) {
  const select = el('select', { class: cls }, ...Object.entries(options).map(([o, label]) => el('option', { value: o, textContent: label() })));
  select.value = value;
  return select;
}

function renderRegions() {
  rebuildList(byId('regions'), state.decisions.add_regions.map(regionRow));
}

function regionRow(region, i) {
  const keys = region.keys, busy = Boolean(state.following), following = state.following?.index === i;
  const span = keys.length ? `${short(keys[0][0])}–${short(keys[keys.length - 1][1])}` : '';
  return el('li', { class: `region${i === state.selectedRegion ? ' selected' : ''}`, dataset: { index: i } },
    el('div', { class: 'head' },
      el('strong', { textContent: t('Region {n}', { n: i + 1 }) }),
      el('span', { class: 'keys', textContent: tn('{n} keyframe', '{n} keyframes', keys.length) }),
      el('span', { class: 'span', textContent: span })),
    el('div', { class: 'line' },
      el('input', { type: 'text', class: 'reason', value: region.reason, placeholder: t('reason'), title: t('Why this region is masked') })),
    i === state.selectedRegion ? keyList(keys) : null,
    el('div', { class: 'buttons' },
      button('keyframe', t('Keyframe here'), { title: t('Drag a new box for this region on the current frame (K)') }),
      button('follow-forward', t('Follow forward'), { disabled: busy, title: t('Track the box forward from this frame') }),
      button('follow-backward', t('Follow backward'), { disabled: busy, title: t('Track the box backward from this frame') }),
      following ? el('span', { class: 'following', textContent: t('following…') }) : null,
      following ? button('stop', t('Stop')) : null,
      button('delete danger', t('Delete'), { title: t('Delete this region (Delete)') })));
}

function keyList(keys) {
  return el('ol', { class: 'keylist' }, ...keys.map((k, j) => el('li', {},
    button('key-go', keys.length === 1 || k[1] - k[0] < EPS ? t('{at} s', { at: num(k[0]) }) : t('{from}–{to} s', { from: num(k[0]), to: num(k[1]) }),
      { title: t('Go to this keyframe'), dataset: { key: j } }),
    el('span', { textContent: k.slice(2).map((v) => Math.round(v)).join(', ') }),
    button('key-remove', '×', { title: t('Remove this keyframe'), dataset: { key: j } }))));
}

function onRegionsEvent(e) {
  const li = e.target.closest('li.region');
  if (!li) return;
  const i = Number(li.dataset.index), region = state.decisions.add_regions[i];
  if (!region) return;
  if (e.type === 'input') {
    if (e.target.matches('input.reason')) change((d) => { d.add_regions[i].reason = e.target.value; }, { merge: `region-${i}`, rebuild: false });
    return;
  }
  const pressed = e.target.closest('button');
  if (!pressed) { if (!e.target.closest('input')) selectRegion(i, true); return; }
  const key = Number(pressed.dataset.key);
  if (pressed.matches('.keyframe')) startKeyframe(i);
  else if (pressed.matches('.follow-forward')) followRegion(i, 'forward');
  else if (pressed.matches('.follow-backward')) followRegion(i, 'backward');
  else if (pressed.matches('.stop')) state.following?.controller.abort();
  else if (pressed.matches('.delete')) deleteRegion(i);
  else if (pressed.matches('.key-go')) goTo(frameAt(region.keys[key][0]));
  else if (pressed.matches('.key-remove')) removeKey(i, key);
}

function selectRegion(i, jump = false) {
  if (state.selectedRegion !== i) { state.selectedRegion = i; renderRegions(); }
  const region = state.decisions.add_regions[i];
  if (jump && region && !regionBoxAt(region.keys, state.shown)) goTo(frameAt(region.keys[0][0]));
  draw();
}

function startKeyframe(i) {
  if (!state.decisions.add_regions[i]) { status(t('Select an added region first (in the list or on the frame).'), 'info'); return; }
  pause();
  selectRegion(i);
  setMode('keyframe', i);
}

function deleteRegion(i) {
  if (!state.decisions.add_regions[i]) return;
  if (state.following?.index === i) state.following.controller.abort();
  if (state.selectedRegion === i) state.selectedRegion = -1;
  else if (state.selectedRegion > i) state.selectedRegion -= 1;
  if (state.mode === 'keyframe') setMode('none');
  change((d) => { d.add_regions.splice(i, 1); });
}

function removeKey(i, j) {
  const keys = state.decisions.add_regions[i].keys.filter((_, k) => k !== j);
  if (!keys.length) { deleteRegion(i); return; }
  change((d) => { d.add_regions[i].keys = normalizeKeys(toPoints(keys)); });
}

// Ask the server's visual tracker to follow the box from this frame, a short stretch at a
// time, merging each stretch into the region as it comes, until the tracker loses the object,
// the clip ends, or the clerk presses Stop (what was followed so far is kept).
const FOLLOW_STEP = 20;

async function followRegion(i, direction) {
  const region = state.decisions.add_regions[i];
  let n = state.shown;
  if (!region || state.following) return;
  let box = regionBoxAt(region.keys, n);
  if (!box) { status(t('Region {n} is not shown on this frame: go to one of its frames, or set a keyframe here.', { n: i + 1 }), 'info'); return; }
  pause();
  const controller = new AbortController();
  state.following = { index: i, controller };
  selectRegion(i);
  renderRegions();
  let total = 0, stopped = '';
  try {
    while (!controller.signal.aborted) {
      const answer = await api(`${clipApi()}/follow`, {
        method: 'POST', body: { frame: n, box: cleanBox(box), direction, frames: FOLLOW_STEP }, signal: controller.signal,
      });
      const followed = (answer?.keys || [])
        .filter((k) => Array.isArray(k) && k.length === 6)
        .map((k) => [Number(k[0]), Number(k[1]), ...cleanBox(k.slice(2).map(Number))])
        .filter((k) => boxSize(k.slice(2)) >= 1);
      if (!state.decisions.add_regions[i]) { status(t('The region was deleted while it was being followed.'), 'info'); return; }
      stopped = answer?.stopped || '';
      if (followed.length > 1) {
        change((d) => mergeFollowed(d.add_regions[i], followed));
        total += followed.length - 1; // the first key is the box it started from
        const last = direction === 'forward' ? followed[followed.length - 1] : followed[0];
        n = frameAt(last[0]);
        box = last.slice(2);
        goTo(n);
      }
      const atEnd = direction === 'forward' ? n >= lastFrame() : n <= 0;
      if (stopped !== 'end' || followed.length <= 1 || atEnd) break;
    }
    const why = stopped ? STOPPED[stopped]?.() ?? stopped : '';
    if (direction === 'forward') {
      status(why ? tn('Followed {n} frame forward (stopped: {why}).', 'Followed {n} frames forward (stopped: {why}).', total, { why })
        : tn('Followed {n} frame forward.', 'Followed {n} frames forward.', total), 'info');
    } else {
      status(why ? tn('Followed {n} frame backward (stopped: {why}).', 'Followed {n} frames backward (stopped: {why}).', total, { why })
        : tn('Followed {n} frame backward.', 'Followed {n} frames backward.', total), 'info');
    }
  } catch (error) {
    if (error.name === 'AbortError') status(tn('Following stopped after {n} frame; it is kept.', 'Following stopped after {n} frames; they are kept.', total), 'info');
    else status(t('Follow: {error}', { error: error.message }));
  } finally {
    state.following = null;
    renderRegions();
  }
}

// Whole-picture and audio ranges share their editing: the field is the input's class.
function renderPictures() {
  rebuildList(byId('pictures'), state.decisions.redact_pictures.map((p, i) => el('li', { class: 'picture', dataset: { index: i } },
    el('div', { class: 'line' },
      numberInput('start', p.start, t('Start (s)')), el('span', { textContent: '–' }), numberInput('end', p.end, t('End (s)')),
      selectInput('style', STYLES, p.style),
      button('go', t('Go'), { title: t('Go to the start') }),
      button('delete danger', t('Delete'))),
    el('div', { class: 'line' }, el('input', { type: 'text', class: 'reason', value: p.reason, placeholder: t('reason (required)') })),
    el('span', { class: 'problem', textContent: t('Needs 0 ≤ start < end and a reason: not saved until then.') }))));
}

function renderAudioRanges() {
  rebuildList(byId('audio-ranges'), state.decisions.audio.map((a, i) => el('li', { class: 'audio-range', dataset: { index: i } },
    el('div', { class: 'line' },
      numberInput('start', a.start, t('Start (s)')), el('span', { textContent: '–' }), numberInput('end', a.end, t('End (s)')),
      selectInput('action', ACTIONS, a.action),
      button('play-range', t('Play range')),
      button('delete danger', t('Delete'))),
    el('div', { class: 'line' }, el('input', { type: 'text', class: 'reason', value: a.reason, placeholder: t('reason (required)') })),
    el('span', { class: 'problem', textContent: t('Needs 0 ≤ start < end and a reason: not saved until then.') }))));
}

function onRangeEvent(e, listName) {
  const li = e.target.closest('li[data-index]');
  if (!li) return;
  const i = Number(li.dataset.index), range = state.decisions[listName][i], target = e.target;
  if (!range) return;
  if (e.type === 'input') {
    const field = ['start', 'end', 'style', 'action', 'reason'].find((f) => target.classList.contains(f));
    if (!field) return;
    const value = target.type === 'number' ? (target.value === '' ? NaN : Number(target.value)) : target.value;
    change((d) => { d[listName][i][field] = value; }, { merge: `${listName}-${i}-${field}`, rebuild: false });
    return;
  }
  const pressed = target.closest('button');
  if (!pressed) return;
  if (pressed.matches('.delete')) change((d) => { d[listName].splice(i, 1); });
  else if (pressed.matches('.go') && Number.isFinite(range.start)) goTo(frameAt(range.start));
  else if (pressed.matches('.play-range')) playRange(range);
}

// A range from the current frame for a second (to the clip's end at most).
function addRange(listName, fields) {
  if (!state.info?.frames) return;
  const n = state.frame, start = T(n);
  let end = Math.min(start + 1, clipEnd());
  if (end <= start + EPS) end = frameEnd(n);
  change((d) => { d[listName].push({ start, end, ...fields, reason: '' }); });
}

// -------------------------------------------------------------------------- transcript

// What is said, as the speech model wrote it: words the clerk can find, and bleep everywhere.
// The words stay between this page and the local server; decisions keep times and reasons only.
async function loadTranscript() {
  try {
    state.transcript = await api(`${clipApi()}/transcript`);
  } catch (error) {
    status(t('Transcript: {error}', { error: error.message }));
    return;
  }
  showTranscript();
}

// A pattern's button, its title, and what a status line calls it: "Bleep every address", not "addresse".
const PATTERNS = {
  numbers: () => [t('Bleep every number'), t('Bleep a number of 5 or more digits wherever one is said'), t('every number')],
  dates: () => [t('Bleep every date'), t('Bleep a date wherever one is said'), t('every date')],
  emails: () => [t('Bleep every email'), t('Bleep an e-mail address wherever one is said'), t('every email')],
  addresses: () => [t('Bleep every address'), t('Bleep a street and house number wherever one is said'), t('every address')],
  plates: () => [t('Bleep every plate'), t('Bleep a vehicle registration wherever one is said'), t('every plate')],
};
const patternTexts = (name, what) => PATTERNS[name]?.() ?? [
  t('Bleep every {pattern}', { pattern: name }), t('Bleep {what} wherever one is said', { what }), t('every {pattern}', { pattern: name }),
];
const wordsCount = (n) => tn('{n} word', '{n} words', n);

function showTranscript() {
  const got = state.transcript;
  byId('transcript-panel').hidden = false;
  byId('transcript-missing').hidden = got.available;
  byId('transcript-tools').hidden = !got.available;
  byId('transcript-count').textContent = got.available ? wordsCount(got.words.length) : '';
  byId('transcribe').hidden = !got.installed;
  byId('transcribe-hints').hidden = !got.installed;
  byId('transcribe-language').hidden = !got.installed;
  if (!got.available && got.default_language) {
    const select = byId('transcribe-language');
    if (![...select.options].some((o) => o.value === got.default_language)) select.add(el('option', { value: got.default_language, textContent: got.default_language }));
    select.value = got.default_language;
  }
  byId('transcript-language').hidden = !got.language;
  byId('transcript-language').textContent = !got.language ? ''
    : got.language_heard ? t('Language: {language} (the model heard {heard}, probability {p})', { language: got.language, heard: got.language_heard, p: num(got.language_probability, 2) })
      : t('Language: {language}', { language: got.language });
  byId('transcript-language-warning').hidden = !got.language_warning;
  byId('transcript-language-warning').textContent = got.language_warning || '';
  byId('transcript-missing-text').textContent = got.installed
    ? t('No transcript of this clip yet.')
    : t('No transcript of this clip yet; speech transcription is not installed ({hint}).', { hint: got.install_hint });
  byId('pattern-buttons').replaceChildren(...Object.entries(got.patterns || {}).map(([name, what]) => {
    const [label, title] = patternTexts(name, what);
    return el('button', { type: 'button', class: 'bleep-pattern', dataset: { pattern: name }, textContent: label, title });
  }));
  byId('transcript').replaceChildren(...(got.words || []).map(([start, end, text, p], i) => el('span', {
    class: `word${p < 0.5 ? ' unsure' : ''}`,
    dataset: { index: i },
    textContent: text,
    title: p < 0.5 ? t('{from}–{to} (the model was unsure)', { from: short(start), to: short(end) }) : `${short(start)}–${short(end)}`,
  })));
  markTranscript();
}

// Words inside a bleeped or muted range are struck through; search matches are marked.
function markTranscript() {
  const got = state.transcript;
  if (!got?.available) return;
  const ranges = state.decisions.audio.filter(validRange);
  const query = byId('transcript-search').value.trim().toLowerCase();
  let found = 0;
  for (const span of byId('transcript').children) {
    const [start, end, text] = got.words[Number(span.dataset.index)];
    span.classList.toggle('bleeped', ranges.some((r) => r.start <= start + EPS && end <= r.end + EPS));
    const match = query !== '' && text.toLowerCase().includes(query);
    span.classList.toggle('match', match);
    found += match;
  }
  byId('transcript-count').textContent = query ? t('{words}, {found} found', { words: wordsCount(got.words.length), found }) : wordsCount(got.words.length);
}

// Ranges to bleep from the server (it matches as a render does: near spellings, digits said
// one by one), added where they are not already bleeped.
async function bleepSpoken(body, what) {
  let answer;
  try {
    answer = await api(`${clipApi()}/spoken`, { method: 'POST', body });
  } catch (error) {
    status(t('Bleep: {error}', { error: error.message }));
    return;
  }
  const have = (r) => state.decisions.audio.some((a) => a.action === 'bleep' && a.start <= r.start + EPS && r.end <= a.end + EPS);
  const added = answer.ranges.filter((r) => !have(r));
  if (added.length) change((d) => { d.audio.push(...added); });
  status(answer.ranges.length
    ? t('{what}: said {times}, {ranges} added. Listen to check.', {
      what, times: tn('{n} time', '{n} times', answer.ranges.length), ranges: tn('{n} range', '{n} ranges', added.length),
    })
    : t('{what}: not found in the transcript (the model may have misheard it: listen).', { what }), 'info');
}

function onTranscriptClick(e) {
  const span = e.target.closest('span.word');
  if (!span) return;
  const [start, , text] = state.transcript.words[Number(span.dataset.index)];
  if (e.shiftKey) { goTo(frameAt(start)); return; }
  const word = text.trim().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
  if (word) bleepSpoken({ words: word }, t('“{word}”', { word }));
}

async function transcribeClip() {
  const button = byId('transcribe');
  button.disabled = true;
  status(t('Transcribing (a minute or more for a long clip)…'), 'info');
  try {
    const hints = byId('transcribe-hints').value.trim();
    const language = byId('transcribe-language').value;
    state.transcript = await api(`${clipApi()}/transcript`, { method: 'POST', body: { hints, language } });
    showTranscript();
    status(t('Transcribed: {words}.', { words: wordsCount(state.transcript.words.length) }), 'info');
  } catch (error) {
    status(t('Transcribe: {error}', { error: error.message }));
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------- waveform

async function loadWaveform() {
  const bins = clamp(Math.round(byId('waveform').clientWidth) || 800, 100, 4000);
  try {
    state.waveform = await api(`${clipApi()}/waveform?bins=${bins}`);
  } catch (error) {
    status(t('Waveform: {error}', { error: error.message }));
    state.waveform = { peaks: [], duration_s: state.info.duration_s };
  }
  drawWaveform();
}

const waveDuration = () => state.waveform?.duration_s || state.info.duration_s || clipEnd();

function waveTime(e) {
  const rect = byId('waveform').getBoundingClientRect();
  return clamp((e.clientX - rect.left) / rect.width, 0, 1) * waveDuration();
}

function drawWaveform() {
  if (!state.info?.has_audio) return;
  const c = byId('waveform'), dpr = window.devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
  if (!w || !h) return;
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
  const ctx = c.getContext('2d'), x = (t) => (t / waveDuration()) * w;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  for (const r of state.decisions.audio.filter(validRange)) {
    ctx.fillStyle = r.action === 'bleep' ? 'rgba(240, 180, 41, 0.35)' : 'rgba(255, 92, 92, 0.35)';
    ctx.fillRect(x(r.start), 0, Math.max(1, x(r.end) - x(r.start)), h);
  }
  const drag = state.waveDrag;
  if (drag) {
    ctx.fillStyle = 'rgba(255, 255, 255, 0.25)';
    ctx.fillRect(x(Math.min(drag.a, drag.b)), 0, Math.abs(x(drag.b) - x(drag.a)), h);
  }
  const peaks = state.waveform?.peaks || [], mid = h / 2, bw = w / Math.max(peaks.length, 1);
  ctx.fillStyle = '#6fa8dc';
  peaks.forEach((p, i) => {
    const a = Math.max(0.5, clamp(p, 0, 1) * (mid - 2));
    ctx.fillRect(i * bw, mid - a, Math.max(1, bw - 0.2), 2 * a);
  });
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(x(T(state.frame)) - 0.75, 0, 1.5, h);
}

function onWaveDown(e) {
  if (e.button !== 0 || !state.info) return;
  e.preventDefault();
  const t = waveTime(e);
  state.waveDrag = { a: t, b: t };
}

// A drag marks a range to mute; a click goes to that moment.
function finishWaveDrag() {
  const { a, b } = state.waveDrag;
  state.waveDrag = null;
  if (Math.abs(b - a) >= 0.05) change((d) => { d.audio.push({ start: Math.min(a, b), end: Math.max(a, b), action: 'mute', reason: '' }); });
  else { goTo(frameAt(a)); drawWaveform(); }
}

// --------------------------------------------------------------------- original and render

async function toggleOriginal() {
  const on = !state.viewOriginal;
  if (on && !window.confirm(t('Showing the unredacted original is recorded in the custody log. Continue?'))) return;
  try {
    const answer = await api(`${clipApi()}/view-original`, { method: 'POST', body: { on } });
    setViewOriginal(Boolean(answer?.view_original));
  } catch (error) {
    status(t('Original view: {error}', { error: error.message }));
  }
}

function setViewOriginal(on) {
  state.viewOriginal = on;
  const toggle = byId('show-original');
  toggle.setAttribute('aria-pressed', String(on));
  toggle.textContent = on ? t('Hide original') : t('Show original (logged)');
  byId('original-banner').hidden = !on;
  refreshThumbs();
  requestFrame(state.frame);
}

function refreshAudio() {
  const audio = byId('audio');
  if (!state.info?.has_audio || audio.src.endsWith(audioUrl())) return;
  const at = audio.currentTime, playing = !audio.paused;
  audio.src = audioUrl();
  audio.currentTime = at;
  if (playing) audio.play().catch(() => {});
}

function refreshThumbs() {
  refreshAudio();
  for (const img of document.querySelectorAll('#tracks > li > img.thumb, #tracks .fragments:not([hidden]) img.thumb, #uncertain details[open] img.thumb')) {
    const url = thumbUrl(img.dataset.thumb);
    if (!img.src.endsWith(url)) img.src = url;
  }
}

async function startRender() {
  pause();
  try {
    await flushSave();
  } catch (error) {
    status(t('Not rendered: the decisions are not saved ({error}).', { error: error.message }));
    return;
  }
  try {
    await api(`${clipApi()}/render`, { method: 'POST', body: {} });
  } catch (error) {
    if (error.code !== 409) { showRender({ state: 'failed', error: error.message }); return; }
    status(error.message, 'info'); // already running: follow that one
  }
  showRender({ state: 'running', done: 0, total: 0 }); // so that the next 'done' loads the new file
  state.renderSeq = state.changeSeq;
  state.renderPollErrors = 0;
  pollRender();
}

async function pollRender() {
  clearTimeout(state.renderTimer);
  try {
    const answer = await api(`${clipApi()}/render`);
    state.renderPollErrors = 0;
    showRender(answer);
    if (answer.state === 'running') state.renderTimer = setTimeout(pollRender, 500);
  } catch (error) {
    status(t('Render progress: {error}', { error: error.message }));
    if (++state.renderPollErrors < 10 && state.render.state === 'running') state.renderTimer = setTimeout(pollRender, 2000);
  }
}

function showRender(r) {
  const was = state.render.state, done = r.state === 'done', running = r.state === 'running';
  state.render = r;
  const label = byId('render-state');
  label.textContent = running ? t('running') : done ? t('done')
    : r.state === 'failed' ? t('failed: {error}', { error: r.error || t('unknown error') }) : r.derivative ? t('rendered earlier') : '';
  label.className = r.state;
  const bar = byId('render-progress');
  bar.hidden = !running;
  bar.max = Math.max(1, r.total || 1);
  bar.value = r.done || 0;
  byId('render-count').textContent = running && r.total ? `${num(r.done ?? 0)}/${num(r.total)}` : '';
  byId('render').disabled = running;
  const derivative = r.derivative || null, report = r.report || null; // also a render made before this page opened
  byId('rendered').hidden = !derivative;
  byId('derivative-link').hidden = !derivative;
  byId('report-link').hidden = !report;
  if (report) byId('report-link').href = report;
  if (derivative) {
    byId('derivative-link').href = derivative;
    if (was !== 'done') byId('derivative').src = derivative; // setting src again loads the new file
  }
  noteRenderStale();
}

function noteRenderStale() {
  byId('render-note').hidden = !(state.render.state === 'done' && state.changeSeq !== state.renderSeq);
}

// -------------------------------------------------------------------------------- keyboard

function isTyping(target) {
  return Boolean(target?.isContentEditable || target?.matches?.('textarea, select, input:not([type=checkbox]):not([type=range]):not([type=button])'));
}

function onKeyDown(e) {
  if (!state.info || isTyping(e.target)) return;
  if (e.key === ' ' && e.target.matches?.('input[type=checkbox]')) return; // Space ticks it
  const ctrl = e.ctrlKey || e.metaKey;
  if (ctrl && e.key.toLowerCase() === 'z') { e.preventDefault(); undo(); return; }
  if (ctrl || e.altKey) return;
  const n = state.frame;
  switch (e.key) {
    case 'ArrowLeft': goTo(e.shiftKey ? Math.min(n - 1, frameAt(T(n) - 1)) : n - 1); break;
    case 'ArrowRight': goTo(e.shiftKey ? Math.max(n + 1, frameAt(T(n) + 1)) : n + 1); break;
    case ' ': // play / pause when released, unless the space was held to pan
      if (!e.repeat) { state.spaceDown = true; state.spaceUsed = false; canvas.classList.add('panning'); }
      break;
    case 'Home': goTo(0); break;
    case 'End': goTo(lastFrame()); break;
    case 'b': case 'B': setMode(state.mode === 'draw' ? 'none' : 'draw'); break;
    case 'k': case 'K': startKeyframe(state.selectedRegion); break;
    case 'Delete': deleteRegion(state.selectedRegion); break;
    case 'Escape': setMode('none'); byId('help').hidden = true; break;
    case '?': toggleHelp(); break;
    default: return;
  }
  e.preventDefault(); // also keeps a focused button or the scrubber from acting on the key too
}

function onKeyUp(e) {
  if (e.key !== ' ' || !state.spaceDown) return;
  state.spaceDown = false;
  canvas.classList.remove('panning');
  e.preventDefault();
  if (!state.spaceUsed) togglePlay();
}

const toggleHelp = () => { byId('help').hidden = !byId('help').hidden; };

// ---------------------------------------------------------------------------------- start

function bind() {
  const on = (id, type, handler) => byId(id).addEventListener(type, handler);
  on('first', 'click', () => goTo(0));
  on('prev', 'click', () => goTo(state.frame - 1));
  on('play', 'click', togglePlay);
  on('audio-play', 'click', togglePlay);
  on('next', 'click', () => goTo(state.frame + 1));
  on('last', 'click', () => goTo(lastFrame()));
  on('scrubber', 'input', (e) => goTo(Number(e.target.value)));
  on('zoom', 'click', toggleZoom);
  on('undo', 'click', undo);
  on('render', 'click', startRender);
  on('show-original', 'click', toggleOriginal);
  on('draw-box', 'click', () => setMode(state.mode === 'draw' ? 'none' : 'draw'));
  on('add-picture', 'click', () => addRange('redact_pictures', { style: 'solid' }));
  on('add-audio', 'click', () => addRange('audio', { action: 'mute' }));
  on('help-toggle', 'click', toggleHelp);
  on('help-close', 'click', toggleHelp);
  on('status', 'click', () => status(''));
  on('save-state', 'click', () => { if (state.savedSeq !== state.changeSeq) scheduleSave(); }); // retry
  on('kind-filter', 'change', (e) => { state.kindFilter = e.target.value; updateTracks(); });
  on('select-plates', 'click', () => selectTracks((s) => s.kind === 'plate' && s.confident));
  on('select-faces', 'click', () => selectTracks((s) => s.kind === 'face' && s.confident));
  on('select-short', 'click', () => {
    const most = Number(byId('short-frames').value);
    if (most > 0) selectTracks((s) => s.masked_frames < most); else status(t('Give a number of frames.'), 'info');
  });
  on('select-none', 'click', () => selectTracks(() => false));
  on('bulk-keep', 'click', bulkKeep);
  on('bulk-redact', 'click', bulkRedact);
  for (const type of ['click', 'change', 'input']) {
    byId('tracks').addEventListener(type, onTracksEvent);
    byId('uncertain').addEventListener(type, onTracksEvent);
  }
  for (const type of ['click', 'input']) {
    byId('regions').addEventListener(type, onRegionsEvent);
    byId('pictures').addEventListener(type, (e) => onRangeEvent(e, 'redact_pictures'));
    byId('audio-ranges').addEventListener(type, (e) => onRangeEvent(e, 'audio'));
  }
  // leaving a field ends its undo step: the next edit of it is a step of its own
  byId('side').addEventListener('focusout', () => { state.lastMerge = null; });
  canvas.addEventListener('mousedown', onCanvasDown);
  canvas.addEventListener('wheel', (e) => {
    if (!state.info) return;
    e.preventDefault();
    const rect = canvas.getBoundingClientRect(), delta = e.deltaY * (e.deltaMode === 1 ? 40 : 1);
    zoomAt(e.clientX - rect.left, e.clientY - rect.top, Math.exp(-delta * 0.0015));
  }, { passive: false });
  byId('waveform').addEventListener('mousedown', onWaveDown);
  byId('transcript').addEventListener('click', onTranscriptClick);
  on('transcript-search', 'input', markTranscript);
  on('transcript-search', 'keydown', (e) => { if (e.key === 'Enter') byId('bleep-search').click(); });
  on('bleep-search', 'click', () => {
    const query = byId('transcript-search').value.trim();
    if (query) bleepSpoken({ words: query }, t('“{word}”', { word: query })); else status(t('Type a word or name first.'), 'info');
  });
  on('pattern-buttons', 'click', (e) => {
    const pressed = e.target.closest('button[data-pattern]');
    if (pressed) bleepSpoken({ patterns: [pressed.dataset.pattern] }, patternTexts(pressed.dataset.pattern, '')[2]);
  });
  on('transcribe', 'click', transcribeClip);
  window.addEventListener('mousemove', onMouseMove);
  window.addEventListener('mouseup', onMouseUp);
  window.addEventListener('keydown', onKeyDown);
  window.addEventListener('keyup', onKeyUp);
  window.addEventListener('blur', () => { state.spaceDown = false; canvas.classList.remove('panning'); });
  window.addEventListener('beforeunload', (e) => {
    if (state.info && state.savedSeq !== state.changeSeq) { e.preventDefault(); e.returnValue = ''; }
  });
  const resized = new ResizeObserver(() => { draw(); drawWaveform(); });
  resized.observe(byId('stage'));
  resized.observe(byId('waveform'));
}

async function showClipList() {
  byId('clip-list').hidden = false;
  let clips;
  try {
    clips = await api('/api/clips');
  } catch (error) {
    status(t('Clips: {error}', { error: error.message }));
    return;
  }
  if (clips.length === 1) { location.replace(clipHref(clips[0].name)); return; }
  byId('clips-empty').hidden = clips.length > 0;
  byId('clips').replaceChildren(...clips.map((c) => el('li', {},
    el('a', { href: clipHref(c.name), textContent: c.name }),
    ...Object.entries(CLIP_STATES).map(([s, names]) => {
      const [is, isNot] = names();
      return el('span', { class: `badge${c[s] ? ' on' : ''}`, dataset: { state: s }, textContent: is, title: c[s] ? is : isNot });
    }))));
}

async function openClip(name) {
  state.clip = name;
  byId('clip-name').textContent = name;
  byId('review').hidden = false; // shown first, so that the canvases can measure themselves
  let info;
  try {
    info = await api(`${clipApi()}/info`);
  } catch (error) {
    status(t('Cannot open {clip}: {error}', { clip: name, error: error.message }));
    return;
  }
  info.tracks = info.tracks || [];
  // an older server (or analysis) lists no subjects: each track is its own
  info.subjects = info.subjects || info.tracks.map((t) => ({
    id: t.id, kind: t.kind, tracks: [t.id], confidence: t.score, confident: true, best_track: t.id,
    first_frame: t.first_frame, start_s: t.start_s, end_s: t.end_s, masked_s: t.end_s - t.start_s, masked_frames: t.frames,
  }));
  state.info = info;
  state.subjectById = new Map(info.subjects.map((s) => [s.id, s]));
  state.subjectOfTrack = new Map(info.subjects.flatMap((s) => s.tracks.map((t) => [t, s.id])));
  state.version = Number.isFinite(info.version) ? info.version : 0;
  state.decisions = normalise(info.decisions);
  state.trackById = new Map(info.tracks.map((t) => [t.id, t]));
  document.title = t('{clip} · redact review', { clip: info.name });
  byId('clip-name').textContent = info.name;
  byId('reviewer').textContent = info.reviewer ? t('reviewer: {name}', { name: info.reviewer }) : '';
  byId('controls').hidden = false;
  byId('scrubber').max = String(Math.max(0, info.frames - 1));
  if (info.has_audio) {
    byId('audio-strip').hidden = false;
    byId('audio-panel').hidden = false;
    byId('audio').src = audioUrl();
    loadWaveform();
    loadTranscript();
  }
  buildTracks();
  renderPanels();
  if (!info.frames) status(t('This clip has no frames.'));
  // A page opened while the original is switched on (a reload, a second tab) asks again: the
  // unredacted picture is never shown to someone who did not just confirm it.
  let original = Boolean(info.view_original);
  if (original && !window.confirm(t('The unredacted original is switched on for this clip (recorded in the custody log). Keep showing it?'))) {
    original = false;
    api(`${clipApi()}/view-original`, { method: 'POST', body: { on: false } }).catch((error) => status(t('Original view: {error}', { error: error.message })));
  }
  setViewOriginal(original); // also asks for the first frame
  markReady();
  pollRender(); // a render may have been made or be running already
}

bind();
window.redactReview = { state, toFrame, framePoint, ready };
const wanted = new URLSearchParams(location.search).get('clip');
loadLanguage().then(() => (wanted ? openClip(wanted) : showClipList()));
