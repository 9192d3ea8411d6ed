/* report.js - the page of `ctrace html`: summary, timeline (states:
 * blocked, and the residue as on-CPU, runnable or unknown; CPU sample
 * ticks, user regions, instants, wake and create arrows), flame graphs
 * (cpu, sync, io, heap), thread and task tables.  Reads the JSON that ctrace-analyze embedded (html.c says
 * what is in it); needs nothing else.  Times are ns since the trace began.
 *
 * The timeline is driven as Perfetto's is: W/S zoom, A/D pan, a drag on
 * the time axis (or shift-drag on the tracks) selects a range and shows
 * its time by state and thread, a toggle draws every wake arrow in view,
 * and a search finds blocked calls by call or function name.
 */
'use strict';
(function () {
const t0 = performance.now();
const D = JSON.parse(document.getElementById('ctrace-data').textContent);
const PAL = D.palette.map(p => p[1]);
const CAT = D.palette.map(p => p[0]);
const NSTATES = D.nstates;		/* palette rows 0..NSTATES-1 */
const USER = CAT.indexOf('user'), PROCESS = CAT.indexOf('process');
const HEAP = CAT.indexOf('heap'), CPU = CAT.indexOf('cpu');
const UNKNOWN = CAT.indexOf('unknown');
const STATE_TEXT = { running: 'running (on-CPU)', runnable: 'runnable (waiting for a CPU)',
	unknown: 'unknown (not measured)' };
let LEFT = 180;				/* width of the row labels: layout() */
const RB = 4, MAXD = 4;			/* region band: px per depth, depths */
const SLICE_H = 20;			/* the states' part of a thread row */
const TICK_H = 5;			/* the CPU sample lane below it */
const AXIS_H = 20;			/* the time axis row on top */
const LABEL_FONT = '12px system-ui, sans-serif';	/* as report.css */
const MAX_ARROWS = 5000;		/* all wake arrows: at most so many */
const MAX_RESULTS = 200;		/* search results listed */
const $ = id => document.getElementById(id);
/* what is selected, for people and tests: the arrow drawn, the row */
const state = { arrow: null, sel: -1, details: null, range: null,
	allArrows: false, arrowsDrawn: 0, found: null };
window.ctraceState = state;

/* per thread: regions split by depth (each sorted by start, so their ends
 * are sorted too: a depth's regions never overlap) */
const byTid = new Map();
D.threads.forEach((t, ti) => {
	const k = t.pid + ':' + t.tid;
	if (!byTid.has(k)) byTid.set(k, []);
	byTid.get(k).push(ti);
	t.rgd = [];
	for (const r of t.rg || []) {
		if (r[2] >= MAXD) continue;
		while (t.rgd.length <= r[2]) t.rgd.push([]);
		t.rgd[r[2]].push(r);
	}
});
/* the thread with tid at ns: the kernel reuses the tids of threads that
 * ended, so of the threads that had it, the latest that began by ns */
function threadOf(pid, tid, ns) {
	const l = byTid.get(pid + ':' + tid);
	if (!l) return -1;
	let best = l[0];
	for (const ti of l)
		if (D.threads[ti].first <= ns && D.threads[ti].first >= D.threads[best].first) best = ti;
	return best;
}
/* "1234", or "1234#2" for the second thread that had tid 1234 */
const tidStr = t => t.gen ? t.tid + '#' + t.gen : String(t.tid);

function fmtNs(ns) {
	const a = Math.abs(ns);
	if (a < 1e3) return ns.toFixed(0) + ' ns';
	if (a < 1e6) return (ns / 1e3).toFixed(2) + ' µs';
	if (a < 1e9) return (ns / 1e6).toFixed(2) + ' ms';
	return (ns / 1e9).toFixed(3) + ' s';
}
function fmtBytes(b) {
	if (b < 1024) return b + ' B';
	if (b < 1048576) return (b / 1024).toFixed(1) + ' KiB';
	if (b < 1073741824) return (b / 1048576).toFixed(1) + ' MiB';
	return (b / 1073741824).toFixed(2) + ' GiB';
}
function el(tag, attrs, text) {
	const e = document.createElement(tag);
	for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
	if (text !== undefined) e.textContent = text;
	return e;
}
function threadLabel(t) {
	return (t.label || t.name || 'thread') + ' ' + tidStr(t);
}
const pct = (v, sum) => (100 * v / (sum || 1)).toFixed(0) + '%';

/* ---- summary ---- */
function summary() {
	const s = D.summary;
	$('trace-name').textContent = s.trace;
	const tab = el('table');
	const row = (k, v) => {
		const tr = el('tr');
		tr.append(el('td', {}, k), el('td', {}, v));
		tab.append(tr);
	};
	row('duration', fmtNs(s.end - s.begin));
	row('processes', String(s.processes));
	row('threads', String(s.threads));
	row('events', String(s.events));
	row('lost events', String(s.lost));
	row('CPU samples', String(s.samples));
	row('integrity', s.integrity);
	let total = 0;
	for (const v of s.states) total += v;
	const bar = el('td');
	for (let i = 0; i < NSTATES; i++) {
		if (!s.states[i]) continue;
		const pct = 100 * s.states[i] / (total || 1);
		const b = el('span', { class: 'bar', title: CAT[i] + ' ' +
			fmtNs(s.states[i]) + ' (' + pct.toFixed(1) + '%)' });
		b.style.width = Math.max(1, pct * 4) + 'px';
		b.style.background = PAL[i];
		bar.append(b);
	}
	const tr = el('tr');
	tr.append(el('td', {}, 'thread time'), bar);
	tab.append(tr);
	const parts = [];
	for (let i = 0; i < NSTATES; i++)
		if (s.states[i])
			parts.push(CAT[i] + ' ' + fmtNs(s.states[i]) + ' (' +
				(100 * s.states[i] / (total || 1)).toFixed(1) + '%)');
	row('', parts.join(', '));
	$('summary').append(tab);
	for (let i = 0; i < NSTATES; i++) {
		const sp = el('span');
		const sw = el('i');
		sw.style.background = PAL[i];
		sp.append(sw, document.createTextNode(CAT[i]));
		$('legend').append(sp);
	}
	const sc = el('span'), tk = el('i', { class: 'tick' });
	tk.style.background = PAL[CPU];
	sc.append(tk, document.createTextNode('CPU sample (lane below the row)'));
	$('legend').append(sc);
	const sp = el('span'), sw = el('i', { class: 'band' });
	sw.style.background = PAL[USER];
	sp.append(sw, document.createTextNode('user region (band above the row)'));
	const si = el('span'), tri = el('b', { class: 'tri' });
	tri.style.borderTopColor = PAL[PROCESS];
	si.append(tri, document.createTextNode('instant (process row)'));
	$('legend').append(sp, si);
	/* what the caps left out */
	const c = D.caps, notes = [];
	if (c.regions[2])
		notes.push(c.regions[1] + ' user regions: those shorter than ' + fmtNs(c.regions[2]) +
			' are merged per ' + fmtNs(c.regions[2]) + ' window');
	if (c.instants[0] < c.instants[1])
		notes.push('instants: ' + c.instants[0] + ' of ' + c.instants[1] +
			' shown (process start, exec and end, then an even sample)');
	if (D.bucket)
		notes.push('slices shorter than ' + fmtNs(D.bucket) + ' are merged per window (their count and ' +
			'time by state exact); counters keep each window\'s minimum, maximum and last value');
	if (D.sbucket)
		notes.push('CPU samples are counted per ' + fmtNs(D.sbucket) + ' window');
	if (notes.length) $('caps').textContent = 'Capped for size: ' + notes.join('; ') + '.';
}

/* ---- timeline ---- */
const rows = [];
let view0 = D.summary.begin, view1 = Math.max(D.summary.end, D.summary.begin + 1);
const canvas = $('canvas'), ctx = canvas.getContext('2d');
let W = 800, H = 100;

/* the label column: as wide as the longest label (thread names are
 * long: "pool_worker (mandelbrot.c:154) 19830"), within 180 px and 45 %
 * of the page; what is still longer ends in an ellipsis, with a title */
function labelWidth(texts) {
	const m = document.createElement('canvas').getContext('2d');
	let w = 0;
	m.font = 'bold ' + LABEL_FONT;
	for (const t of texts) w = Math.max(w, m.measureText(t).width);
	const room = Math.max(180, 0.45 * ($('timeline').clientWidth || 800));
	return Math.ceil(Math.min(room, Math.max(180, w + 16)));
}

function layout() {
	let y = 0;
	const labels = $('labels');
	const texts = D.procs.map(p => p.name + ' (' + p.pid + ')')
		.concat(D.threads.map(threadLabel), D.counters);
	LEFT = labelWidth(texts);
	labels.style.width = LEFT + 'px';
	const add = (r, cls, text) => {
		r.y = y;
		y += r.h;
		rows.push(r);
		const l = el('div', { class: 'row-label ' + cls }, text);
		l.style.top = r.y + 'px';
		l.style.width = (LEFT - 8) + 'px';
		l.style.height = r.h + 'px';
		l.style.lineHeight = r.h + 'px';
		l.title = text;
		if (r.kind === 'thread') {
			l.dataset.tid = D.threads[r.t].tid;
			l.dataset.ti = r.t;
			if (r.band) {
				l.style.lineHeight = SLICE_H + 'px';
				l.style.paddingTop = r.band + 'px';
				l.style.height = (SLICE_H + TICK_H) + 'px';
			}
		}
		labels.append(l);
	};
	add({ kind: 'axis', h: AXIS_H }, 'axis', 'time (drag: select)');
	D.procs.forEach((p, pi) => {
		add({ kind: 'proc', p: pi, h: 20 }, 'proc', p.name + ' (' + p.pid + ')');
		p.counters.forEach((c, ci) => {
			if (c.length > 2)
				add({ kind: 'counter', p: pi, c: ci, h: 26 }, 'counter',
					D.counters[ci]);
		});
		D.threads.forEach((t, ti) => {
			if (t.proc === pi)
				add({ kind: 'thread', t: ti, band: RB * t.rgd.length,
					h: SLICE_H + TICK_H + RB * t.rgd.length }, 'thread', threadLabel(t));
		});
	});
	H = y;
}

function resize() {
	const dpr = window.devicePixelRatio || 1;
	W = Math.max(300, $('timeline').clientWidth);
	canvas.width = W * dpr;
	canvas.height = H * dpr;
	canvas.style.width = W + 'px';
	canvas.style.height = H + 'px';
	ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
	draw();
}

const X = ns => LEFT + (ns - view0) * (W - LEFT) / (view1 - view0);
const T = x => view0 + (x - LEFT) * (view1 - view0) / (W - LEFT);

/* first index whose interval ends at or after ns (ends are sorted) */
function firstEnding(a, ns) {
	let lo = 0, hi = a.length;
	while (lo < hi) {
		const m = (lo + hi) >> 1;
		if (a[m][0] + a[m][1] < ns) lo = m + 1; else hi = m;
	}
	return lo;
}

let acc = new Float64Array(0);
function drawThread(r) {
	const t = D.threads[r.t], y = r.y + r.band + 1, h = SLICE_H - 2;
	const npx = W - LEFT, nsPerPx = (view1 - view0) / npx;
	if (acc.length < npx * NSTATES) acc = new Float64Array(npx * NSTATES);
	else acc.fill(0, 0, npx * NSTATES);
	let dirty = false;
	const put = (s, d, cat, busy, unf) => {
		const x0 = X(s), x1 = X(s + d);
		if (x1 < LEFT || x0 > W) return;
		if (x1 - x0 >= 1) {
			const l = Math.max(LEFT, x0), w = Math.min(W, x1) - l;
			ctx.globalAlpha = busy < d ? Math.max(0.25, busy / d) : 1;
			ctx.fillStyle = PAL[cat];
			ctx.fillRect(l, y, w, h);
			ctx.globalAlpha = 1;
			/* unfinished: blocked to the exit, a dark end and stripes */
			if (unf) {
				ctx.fillStyle = '#212121';
				for (let sx = l; sx < l + w; sx += 8) ctx.fillRect(sx, y + h / 2, Math.min(4, l + w - sx), 1);
				if (x1 <= W) ctx.fillRect(Math.max(LEFT, x1 - 2), y, 2, h);
			}
		} else {
			const c = Math.max(0, Math.min(npx - 1, Math.floor(x0 - LEFT)));
			acc[c * NSTATES + cat] += busy;
			dirty = true;
		}
	};
	/* the residue first: blocked slices never overlap it */
	for (let i = firstEnding(t.rs, view0); i < t.rs.length && t.rs[i][0] <= view1; i++)
		put(t.rs[i][0], t.rs[i][1], t.rs[i][2], t.rs[i][1], 0);
	for (let i = firstEnding(t.iv, view0); i < t.iv.length && t.iv[i][0] <= view1; i++)
		put(t.iv[i][0], t.iv[i][1], t.iv[i][2], t.iv[i][1], t.iv[i][12]);
	for (let i = firstEnding(t.bk, view0); i < t.bk.length && t.bk[i][0] <= view1; i++)
		put(t.bk[i][0], t.bk[i][1], t.bk[i][2], t.bk[i][3], 0);
	if (!dirty) return;
	/* coarse zoom: per pixel column, the state it spent most time in */
	for (let c = 0; c < npx; c++) {
		let best = 0, sum = 0;
		for (let s = 0; s < NSTATES; s++) {
			const v = acc[c * NSTATES + s];
			sum += v;
			if (v > acc[c * NSTATES + best]) best = s;
		}
		if (!sum) continue;
		ctx.globalAlpha = Math.max(0.35, Math.min(1, sum / nsPerPx));
		ctx.fillStyle = PAL[best];
		ctx.fillRect(LEFT + c, y, 1, h);
	}
	ctx.globalAlpha = 1;
}

/* CPU samples: a thin mark per sample, per pixel column past one each */
let ticks = new Float64Array(0);
function drawTicks(r) {
	const t = D.threads[r.t], cs = t.cs, y = r.y + r.band + SLICE_H, npx = W - LEFT;
	const step = D.sbucket ? 2 : 1;
	if (ticks.length < npx) ticks = new Float64Array(npx);
	else ticks.fill(0, 0, npx);
	let lo = 0, hi = cs.length / step;
	while (lo < hi) {
		const m = (lo + hi) >> 1;
		if (cs[m * step] < view0 - (D.sbucket || 0)) lo = m + 1; else hi = m;
	}
	let n = 0;
	for (let i = lo * step; i < cs.length && cs[i] <= view1; i += step) {
		const x = X(cs[i]);
		if (x < LEFT || x >= W) continue;
		ticks[Math.floor(x - LEFT)] += step === 2 ? cs[i + 1] : 1;
	}
	ctx.fillStyle = PAL[CPU];
	for (let c = 0; c < npx; c++) {
		if (!ticks[c]) continue;
		ctx.globalAlpha = Math.min(1, 0.55 + 0.15 * ticks[c]);
		ctx.fillRect(LEFT + c, y, 1, TICK_H - 1);
		n++;
	}
	ctx.globalAlpha = 1;
	r.tickCols = n;
}

/* the user regions of a thread: one thin lane per nesting depth */
let cols = new Uint8Array(0);
function drawRegions(r) {
	const t = D.threads[r.t], npx = W - LEFT;
	if (cols.length < npx) cols = new Uint8Array(npx);
	t.rgd.forEach((a, d) => {
		const y = r.y + 1 + d * RB, h = RB - 1;
		let dirty = false;
		cols.fill(0, 0, npx);
		ctx.fillStyle = PAL[USER];
		for (let i = firstEnding(a, view0); i < a.length && a[i][0] <= view1; i++) {
			const x0 = X(a[i][0]), x1 = X(a[i][0] + (a[i][4] > 1 ? D.caps.regions[2] : a[i][1]));
			if (x1 - x0 >= 1) {
				const l = Math.max(LEFT, x0), w = Math.min(W, x1) - l;
				ctx.globalAlpha = a[i][4] > 1 ? Math.max(0.3, a[i][1] / (D.caps.regions[2] || 1)) : 1 - 0.15 * d;
				ctx.fillRect(l, y, w, h);
				/* an edge, so that regions side by side read apart */
				if (w >= 4) ctx.clearRect(l, y, 1, h);
			} else {
				cols[Math.max(0, Math.min(npx - 1, Math.floor(x0 - LEFT)))] = 1;
				dirty = true;
			}
		}
		ctx.globalAlpha = 0.8;
		for (let c = 0; dirty && c < npx; c++)
			if (cols[c]) ctx.fillRect(LEFT + c, y, 1, h);
		ctx.globalAlpha = 1;
	});
}

/* instants: small triangles along the bottom of the process row */
function drawInstants(r) {
	const inst = D.procs[r.p].in, y = r.y + r.h - 8;
	let last = -1, lastCat = -1;
	for (let i = firstInstant(inst, view0); i < inst.length && inst[i][0] <= view1; i++) {
		const x = Math.round(X(inst[i][0]));
		if (x === last && inst[i][1] === lastCat) continue;
		last = x;
		lastCat = inst[i][1];
		ctx.fillStyle = PAL[inst[i][1]];
		ctx.beginPath();
		ctx.moveTo(x - 3, y);
		ctx.lineTo(x + 3, y);
		ctx.lineTo(x, y + 7);
		ctx.closePath();
		ctx.fill();
	}
}

function firstInstant(a, ns) {
	let lo = 0, hi = a.length;
	while (lo < hi) {
		const m = (lo + hi) >> 1;
		if (a[m][0] < ns) lo = m + 1; else hi = m;
	}
	return lo;
}

const threadRow = ti => rows.find(r => r.kind === 'thread' && r.t === ti);

/* a line from (x0, y0) to (x1, y1) with a head of size px at its end */
function strokeArrow(x0, y0, x1, y1, size) {
	ctx.beginPath();
	ctx.moveTo(x0, y0);
	ctx.lineTo(x1, y1);
	ctx.stroke();
	const ang = Math.atan2(y1 - y0, x1 - x0);
	ctx.beginPath();
	ctx.moveTo(x1, y1);
	ctx.lineTo(x1 - size * Math.cos(ang - 0.4), y1 - size * Math.sin(ang - 0.4));
	ctx.lineTo(x1 - size * Math.cos(ang + 0.4), y1 - size * Math.sin(ang + 0.4));
	ctx.closePath();
	ctx.fill();
}

/* the arrow of the selection: waker -> woken, creator -> started */
function drawArrow() {
	const a = state.arrow;
	if (!a) return;
	const rf = threadRow(a.from), rt = threadRow(a.to);
	if (!rf || !rt) return;
	const x0 = X(a.ts0), y0 = rf.y + rf.band + SLICE_H / 2;
	const x1 = X(a.ts1), y1 = rt.y + rt.band + SLICE_H / 2;
	ctx.save();
	ctx.beginPath();
	ctx.rect(LEFT, 0, W - LEFT, H);
	ctx.clip();
	ctx.strokeStyle = ctx.fillStyle = '#212121';
	ctx.lineWidth = 1.5;
	ctx.beginPath();
	ctx.arc(x0, y0, 2.5, 0, 2 * Math.PI);
	ctx.fill();
	strokeArrow(x0, y0, x1, y1, 8);
	ctx.restore();
}

function drawCounter(r) {
	const c = D.procs[r.p].counters[r.c], y = r.y + 2, h = r.h - 4;
	let max = 1;
	for (let i = 1; i < c.length; i += 2) if (c[i] > max) max = c[i];
	ctx.fillStyle = r.c === 0 ? PAL[0] : PAL[HEAP];
	ctx.beginPath();
	ctx.moveTo(LEFT, y + h);
	let last = 0;
	for (let i = 0; i < c.length; i += 2) {
		const x = Math.max(LEFT, Math.min(W, X(c[i])));
		ctx.lineTo(x, y + h - h * last / max);
		last = c[i + 1];
		ctx.lineTo(x, y + h - h * last / max);
	}
	ctx.lineTo(W, y + h - h * last / max);
	ctx.lineTo(W, y + h);
	ctx.closePath();
	ctx.fill();
	ctx.fillStyle = '#424242';
	ctx.font = '10px sans-serif';
	ctx.fillText(r.c === 1 ? fmtBytes(max) : max.toFixed(2), W - 60, y + 10);
}

function draw() {
	ctx.clearRect(0, 0, W, H);
	for (const r of rows) {
		if (r.kind === 'axis') {
			drawAxis(r);
		} else if (r.kind === 'proc') {
			ctx.fillStyle = '#f5f5f5';
			ctx.fillRect(0, r.y, W, r.h);
			drawInstants(r);
		} else if (r.kind === 'thread') {
			if (r.t === state.sel) {
				ctx.fillStyle = '#fff59d';
				ctx.fillRect(LEFT, r.y, W - LEFT, r.h);
			}
			drawThread(r);
			drawTicks(r);
			drawRegions(r);
		} else {
			drawCounter(r);
		}
	}
	drawRange();
	if (state.allArrows) drawAllArrows();
	drawFound();
	drawArrow();
}

/* the time axis: a 1, 2 or 5 step with labels at least 90 px apart */
function drawAxis(r) {
	ctx.fillStyle = '#eeeeee';
	ctx.fillRect(LEFT, r.y, W - LEFT, r.h);
	ctx.fillStyle = '#616161';
	ctx.font = '10px sans-serif';
	const minStep = (view1 - view0) * 90 / (W - LEFT);
	let step = Math.pow(10, Math.ceil(Math.log10(minStep)));
	if (step / 5 >= minStep) step /= 5;
	else if (step / 2 >= minStep) step /= 2;
	for (let t = Math.ceil(view0 / step) * step; t < view1; t += step) {
		const x = X(t);
		ctx.fillRect(x, r.y + r.h - 5, 1, 5);
		ctx.fillText(fmtNs(t), x + 2, r.y + 12);
	}
}

/* the selected range: shaded over every row, edges marked */
function drawRange() {
	if (!state.range) return;
	const x0 = Math.max(LEFT, X(state.range[0])), x1 = Math.min(W, X(state.range[1]));
	if (x1 < LEFT || x0 > W) return;
	ctx.fillStyle = 'rgba(25, 118, 210, 0.12)';
	ctx.fillRect(x0, 0, Math.max(1, x1 - x0), H);
	ctx.fillStyle = '#1976d2';
	ctx.fillRect(x0, 0, 1, H);
	ctx.fillRect(x1 - 1, 0, 1, H);
}

/* the slice a search result jumped to: outlined */
function drawFound() {
	const f = state.found;
	if (!f) return;
	const r = threadRow(f.ti), v = D.threads[f.ti].iv[f.i];
	if (!r) return;
	const x0 = X(v[0]), x1 = X(v[0] + v[1]);
	if (x1 < LEFT || x0 > W) return;
	ctx.strokeStyle = '#212121';
	ctx.lineWidth = 2;
	ctx.strokeRect(Math.max(LEFT, x0) - 1, r.y + r.band, Math.min(W, x1) - Math.max(LEFT, x0) + 2, SLICE_H);
}

/* every wake arrow of a blocked call whose waker is another traced
 * thread, where waker's signal to waiter's return overlaps the view */
function wakeArrowsInView() {
	const out = [];
	D.threads.forEach((t, ti) => {
		const iv = t.iv;
		for (let i = 0; i < iv.length; i++) {
			const v = iv[i];
			if (!v[6] || v[6] === t.tid || v[7] < 0) continue;
			const a = Math.min(v[7], v[0] + v[1]), b = Math.max(v[7], v[0] + v[1]);
			if (b < view0 || a > view1) continue;
			const from = threadOf(t.pid, v[6], v[7]);
			if (from >= 0) out.push({ from, ts0: v[7], to: ti, ts1: v[0] + v[1] });
		}
	});
	return out;
}

function arrowLine(a, colour) {
	const rf = threadRow(a.from), rt = threadRow(a.to);
	if (!rf || !rt) return false;
	const x0 = X(a.ts0), y0 = rf.y + rf.band + SLICE_H / 2;
	const x1 = X(a.ts1), y1 = rt.y + rt.band + SLICE_H / 2;
	ctx.strokeStyle = ctx.fillStyle = colour;
	strokeArrow(x0, y0, x1, y1, 7);
	return true;
}

function drawAllArrows() {
	const all = wakeArrowsInView();
	let n = 0;
	ctx.save();
	ctx.beginPath();
	ctx.rect(LEFT, 0, W - LEFT, H);
	ctx.clip();
	ctx.lineWidth = 1;
	for (const a of all) {
		if (n >= MAX_ARROWS) break;
		if (arrowLine(a, '#5d4037')) n++;
	}
	ctx.restore();
	state.arrowsDrawn = n;
	$('arrows-note').textContent = all.length > MAX_ARROWS ?
		n + ' of ' + all.length + ' wake arrows drawn: zoom in for the rest' :
		all.length + ' wake arrow' + (all.length === 1 ? '' : 's') + ' in view';
}

/* ---- details ---- */
function stackLines(si) {
	if (si < 0) return [];
	return D.stacks[si].map(f => D.frames[f]);
}

/* what is under (x, y) of row r: a slice, bucket, region, start, instant */
function hit(r, x, y) {
	const ns = T(x), tol = 2 * (view1 - view0) / (W - LEFT);
	if (r.kind === 'proc') {
		const inst = D.procs[r.p].in;
		let best = null;
		for (let i = firstInstant(inst, ns - 2 * tol); i < inst.length && inst[i][0] <= ns + 2 * tol; i++)
			if (!best || Math.abs(inst[i][0] - ns) < Math.abs(best[0] - ns)) best = inst[i];
		return best ? { inst: best } : null;
	}
	if (r.kind !== 'thread') return null;
	const t = D.threads[r.t];
	if (y < r.y + r.band) {
		const a = t.rgd[Math.floor((y - r.y) / RB)] || [];
		const i = firstEnding(a, ns - tol);
		if (i < a.length && a[i][0] <= ns + tol) return { rg: a[i] };
		return null;
	}
	if (t.cr && Math.abs(X(t.cr[2]) - x) <= 3) return { start: t.cr };
	let i = firstEnding(t.iv, ns - tol);
	if (i < t.iv.length && t.iv[i][0] <= ns + tol) return { iv: t.iv[i] };
	i = firstEnding(t.rs, ns);
	if (i < t.rs.length && t.rs[i][0] <= ns) return { rs: t.rs[i] };
	i = firstEnding(t.bk, ns - tol);
	if (i < t.bk.length && t.bk[i][0] <= ns + tol) return { bk: t.bk[i] };
	return null;
}

/* a link that selects thread ti's row (and brings ns into view) */
function threadLink(ti, tid, ns) {
	const a = el('a', { href: '#', class: 'thread-link', 'data-ti': ti },
		'tid ' + tidStr(D.threads[ti]) + ' at ' + fmtNs(ns));
	a.onclick = e => {
		e.preventDefault();
		selectRow(ti, ns);
	};
	return a;
}

function selectRow(ti, ns) {
	state.sel = ti;
	for (const l of document.querySelectorAll('.row-label.sel')) l.classList.remove('sel');
	const l = document.querySelector('.row-label[data-ti="' + ti + '"]');
	if (l) {
		l.classList.add('sel');
		l.scrollIntoView({ block: 'nearest' });
	}
	if (ns !== undefined && (ns < view0 || ns > view1)) {
		const span = view1 - view0;
		view0 = ns - span / 2;
		view1 = ns + span / 2;
	}
	draw();
}

function details(r, h) {
	const box = $('details');
	box.textContent = '';
	const tab = el('table');
	const row = (k, v) => {
		const tr = el('tr');
		tr.append(el('td', {}, k), typeof v === 'string' ? el('td', {}, v) : el('td', {}));
		if (typeof v !== 'string') tr.lastChild.append(v);
		tab.append(tr);
	};
	state.details = Object.keys(h)[0];
	const arrow = state.arrow;
	state.arrow = null;
	if (h.inst) {
		const v = h.inst, p = D.procs[r.p];
		row('instant', D.names[v[2]]);
		row('category', CAT[v[1]]);
		row('process', p.name + ' (' + p.pid + ')');
		if (v[4]) row('thread', 'tid ' + v[4]);
		row('time', fmtNs(v[0]));
		if (v[3]) row(v[1] === USER ? 'message' : 'detail', v[3]);
		box.append(tab);
		if (arrow) draw();
		return;
	}
	const t = D.threads[r.t];
	row('thread', threadLabel(t) + ' (pid ' + t.pid + ')');
	if (h.rg) {
		const g = h.rg;
		if (g[4] > 1) {
			row('regions', g[4] + ' short region' + (g[4] === 1 ? '' : 's') + ' merged (first: ' + D.names[g[3]] + ')');
			row('start', fmtNs(g[0]));
			row('window', fmtNs(D.caps.regions[2]));
			row('inside', fmtNs(g[1]));
		} else {
			row('region', D.names[g[3]]);
			row('depth', String(g[2]));
			row('start', fmtNs(g[0]));
			row('duration', fmtNs(g[1]));
		}
		box.append(tab);
		if (arrow) draw();
		return;
	}
	if (h.start) {
		const c = h.start, from = threadOf(t.pid, c[0], c[1]);
		row('thread start', fmtNs(c[2]));
		row('created by', from >= 0 ? threadLink(from, c[0], c[1]) : 'tid ' + c[0]);
		if (from >= 0)
			state.arrow = { kind: 'create', from, ts0: c[1], to: r.t, ts1: c[2] };
		box.append(tab);
		draw();
		return;
	}
	if (h.bk) {
		const b = h.bk;
		row('state', CAT[b[2]] + ' (' + b[4] + ' short slice' + (b[4] === 1 ? '' : 's') + ' merged)');
		row('start', fmtNs(b[0]));
		row('window', fmtNs(b[1]));
		row('in slices', fmtNs(b[3]));
		box.append(tab);
		if (arrow) draw();
		return;
	}
	if (h.rs) {
		const v = h.rs, sum = v[3] + v[4] + v[5];
		row('state', STATE_TEXT[CAT[v[2]]] || CAT[v[2]]);
		row('start', fmtNs(v[0]));
		row('duration', fmtNs(v[1]));
		row('shares', 'running ' + pct(v[3], sum) + ', runnable ' + pct(v[4], sum) +
			', unknown ' + pct(v[5], sum));
		row('readings', v[6] ? 'the shares are of the time outside blocking calls between the ' +
			'scheduler readings around this slice; when inside it is not known' :
			'no scheduler reading on one side: not measured');
		box.append(tab);
		if (arrow) draw();
		return;
	}
	const v = h.iv;
	row('state', CAT[v[2]]);
	row('call', v[3]);
	if (v[12]) row('unfinished', v[12] === 2 ?
		'unfinished (still blocked when the snapshot was taken)' :
		'unfinished (still blocked at exit)');
	row('start', fmtNs(v[0]));
	row('duration', fmtNs(v[1]));
	if (v[4]) row('object', v[4]);
	if (v[5]) row('fd name', v[5]);
	const wi = v[6] ? threadOf(t.pid, v[6], v[7]) : -1;
	if (v[6] && wi >= 0 && v[7] >= 0 && v[6] !== t.tid) {
		row('waker', threadLink(wi, v[6], v[7]));
		state.arrow = { kind: 'wake', from: wi, ts0: v[7], to: r.t, ts1: v[0] + v[1] };
	} else if (v[6]) {
		row('waker', 'tid ' + v[6] + (v[7] >= 0 ? ' at ' + fmtNs(v[7]) : ''));
	}
	if (v[11]) row('holder', 'thread ' + v[11]);
	row('result', String(v[8]));
	if (v[9] >= 0) row('bytes', String(v[9]));
	box.append(tab);
	const frames = stackLines(v[10]);
	if (frames.length) {
		box.append(el('div', {}, 'stack:'));
		box.append(el('pre', { id: 'stack' }, frames.join('\n')));
	}
	if (arrow || state.arrow) draw();
}

function rowAt(y) {
	for (const r of rows) if (y >= r.y && y < r.y + r.h) return r;
	return null;
}

/* ---- a selected range: time by state and by thread ---- */

/* ns of slices [s, s + d) inside [a, b) */
const clip = (s, d, a, b) => Math.max(0, Math.min(s + d, b) - Math.max(s, a));

/* per thread, ns by state of its slices clipped to [a, b): blocked calls
 * and residue exactly; a merged window (html.c's short slices) counts in
 * its dominant state, by the share of the window inside the range */
function rangeTotals(a, b) {
	const per = [], all = new Array(NSTATES).fill(0);
	let merged = 0;
	D.threads.forEach((t, ti) => {
		const ns = new Array(NSTATES).fill(0);
		let any = false;
		for (const list of [t.iv, t.rs])
			for (let i = firstEnding(list, a); i < list.length && list[i][0] < b; i++) {
				const c = clip(list[i][0], list[i][1], a, b);
				if (c) ns[list[i][2]] += c, any = true;
			}
		for (let i = firstEnding(t.bk, a); i < t.bk.length && t.bk[i][0] < b; i++) {
			const k = t.bk[i], c = clip(k[0], k[1], a, b);
			if (!c) continue;
			ns[k[2]] += Math.round(k[3] * c / k[1]);
			merged++;
			any = true;
		}
		if (!any) return;
		per.push({ ti, ns });
		for (let s = 0; s < NSTATES; s++) all[s] += ns[s];
	});
	return { a, b, per, all, merged };
}

function showRange() {
	const box = $('selection');
	box.textContent = '';
	if (!state.range) {
		box.hidden = true;
		return;
	}
	const [a, b] = state.range, tot = rangeTotals(a, b);
	box.hidden = false;
	box.append(el('div', { class: 'range-head' }, 'selected ' + fmtNs(a) + ' to ' + fmtNs(b) +
		' (' + fmtNs(b - a) + '); time of each thread in the range, by state'));
	const used = [];
	for (let s = 0; s < NSTATES; s++) if (tot.all[s]) used.push(s);
	const tab = el('table', { id: 'range-table' }), hr = el('tr');
	hr.append(el('th', {}, 'thread'));
	for (const s of used) hr.append(el('th', {}, CAT[s]));
	hr.append(el('th', {}, 'total'));
	tab.append(hr);
	const line = (name, ns, attrs) => {
		const tr = el('tr', attrs);
		tr.append(el('td', {}, name));
		let sum = 0;
		for (const s of used) {
			sum += ns[s];
			tr.append(el('td', { 'data-state': CAT[s], 'data-ns': ns[s] }, fmtNs(ns[s])));
		}
		tr.append(el('td', { 'data-state': 'total', 'data-ns': sum }, fmtNs(sum)));
		tab.append(tr);
	};
	for (const p of tot.per) {
		const t = D.threads[p.ti];
		line(threadLabel(t), p.ns, { class: 'range-thread', 'data-tid': t.tid, 'data-pid': t.pid });
	}
	line('all threads', tot.all, { class: 'range-all' });
	box.append(tab);
	if (tot.merged)
		box.append(el('div', { class: 'hint' }, tot.merged + ' merged window' +
			(tot.merged === 1 ? '' : 's') + ' of short slices in the range: each counted in ' +
			'its dominant state, by the share of the window inside the range'));
}

function setRange(a, b) {
	state.range = a === null ? null : [Math.round(Math.min(a, b)), Math.round(Math.max(a, b))];
	showRange();
	draw();
}

/* ---- keys: W/S zoom in/out, A/D pan left/right, as Perfetto ---- */
const ZOOM_STEP = 0.8, PAN_STEP = 0.2;
let mouseX = -1;		/* over the tracks: W/S zoom around it */

function key(k) {
	const span = view1 - view0;
	let at = (view0 + view1) / 2, f = 0;
	if (mouseX >= LEFT && mouseX < W) at = T(mouseX);
	if (k === 'w') f = ZOOM_STEP;
	else if (k === 's') f = 1 / ZOOM_STEP;
	if (f) {
		const n = Math.max(1000, span * f);
		view0 = at - (at - view0) * n / span;
		view1 = view0 + n;
	} else if (k === 'a' || k === 'd') {
		const d = (k === 'a' ? -1 : 1) * PAN_STEP * span;
		view0 += d;
		view1 += d;
	} else {
		return false;
	}
	draw();
	return true;
}

/* ---- search: blocked calls by call name or a function of their stack ---- */
let frameLow = null;
function search(q) {
	q = q.trim().toLowerCase();
	const out = [];
	if (!q) return out;
	if (!frameLow) frameLow = D.frames.map(f => f.toLowerCase());
	const stackHas = new Map();
	const inStack = si => {
		if (si < 0) return false;
		if (!stackHas.has(si)) stackHas.set(si, D.stacks[si].some(f => frameLow[f].includes(q)));
		return stackHas.get(si);
	};
	D.threads.forEach((t, ti) => t.iv.forEach((v, i) => {
		if (String(v[3]).toLowerCase().includes(q) || inStack(v[10])) out.push({ ti, i });
	}));
	return out;
}

function showResults(q) {
	const box = $('search-results'), res = search(q);
	box.textContent = '';
	state.results = res;
	if (!q.trim()) return;
	box.append(el('div', { id: 'search-count' }, res.length + ' blocked call' +
		(res.length === 1 ? '' : 's') + ' match' + (res.length === 1 ? 'es' : '') +
		(res.length > MAX_RESULTS ? ' (first ' + MAX_RESULTS + ' listed)' : '')));
	const ol = el('ol');
	for (const f of res.slice(0, MAX_RESULTS)) {
		const t = D.threads[f.ti], v = t.iv[f.i];
		const li = el('li', { class: 'result', 'data-ti': f.ti, 'data-i': f.i });
		const a = el('a', { href: '#' }, v[3] + ' ' + fmtNs(v[1]) + ' at ' + fmtNs(v[0]) +
			', ' + threadLabel(t));
		a.onclick = e => {
			e.preventDefault();
			jumpTo(f.ti, f.i);
		};
		li.append(a);
		ol.append(li);
	}
	box.append(ol);
}

/* bring slice i of thread ti into view, select it and its row */
function jumpTo(ti, i) {
	const v = D.threads[ti].iv[i], span = Math.max(1000, 3 * v[1]);
	view0 = v[0] + v[1] / 2 - span / 2;
	view1 = view0 + span;
	state.found = { ti, i };
	selectRow(ti);
	details(threadRow(ti), { iv: v });
	draw();
}

function events() {
	let drag = null;
	canvas.addEventListener('wheel', e => {
		e.preventDefault();
		const x = e.offsetX;
		if (x < LEFT) return;
		const at = T(x), f = Math.exp(e.deltaY * 0.002);
		const span = Math.max(1000, (view1 - view0) * f);
		view0 = at - (x - LEFT) / (W - LEFT) * span;
		view1 = view0 + span;
		draw();
	}, { passive: false });
	/* drag: pan; on the time axis or with shift: select a range */
	canvas.addEventListener('mousedown', e => {
		const sel = e.shiftKey || e.offsetY < AXIS_H;
		drag = { x: e.offsetX, v0: view0, v1: view1, moved: false, sel };
		if (sel) drag.t0 = T(Math.max(LEFT, e.offsetX));
		canvas.style.cursor = sel ? 'col-resize' : 'grabbing';
	});
	window.addEventListener('mousemove', e => {
		if (!drag) return;
		const cx = e.clientX - canvas.getBoundingClientRect().left, dx = cx - drag.x;
		if (Math.abs(dx) > 3) drag.moved = true;
		if (!drag.moved) return;
		if (drag.sel) {
			setRange(drag.t0, T(Math.max(LEFT, Math.min(W, cx))));
			return;
		}
		const shift = dx * (drag.v1 - drag.v0) / (W - LEFT);
		view0 = drag.v0 - shift;
		view1 = drag.v1 - shift;
		draw();
	});
	window.addEventListener('mouseup', e => {
		if (!drag) return;
		const d = drag;
		drag = null;
		canvas.style.cursor = 'grab';
		if (d.moved) return;
		const rect = canvas.getBoundingClientRect();
		const x = e.clientX - rect.left, y = e.clientY - rect.top;
		const r = rowAt(y);
		/* a click on the axis clears the range */
		if (r && r.kind === 'axis') {
			setRange(null);
			return;
		}
		if (!r || x < LEFT) return;
		const h = hit(r, x, y);
		if (h) {
			state.found = null;
			details(r, h);
		}
	});
	/* hover: the name of a region or instant */
	canvas.addEventListener('mousemove', e => {
		mouseX = e.offsetX;
		if (drag) return;
		const r = rowAt(e.offsetY);
		let tip = '';
		if (r && e.offsetX >= LEFT && (r.kind === 'proc' || e.offsetY < r.y + r.band)) {
			const h = hit(r, e.offsetX, e.offsetY);
			if (h && h.rg) tip = (h.rg[4] > 1 ? h.rg[4] + ' regions' : D.names[h.rg[3]]) +
				' ' + fmtNs(h.rg[1]);
			else if (h && h.inst) tip = D.names[h.inst[2]] + (h.inst[3] ? ': ' + h.inst[3] : '');
		}
		if (canvas.title !== tip) canvas.title = tip;
	});
	canvas.addEventListener('mouseleave', () => { mouseX = -1; });
	canvas.addEventListener('dblclick', () => {
		view0 = D.summary.begin;
		view1 = Math.max(D.summary.end, view0 + 1);
		draw();
	});
	window.addEventListener('keydown', e => {
		const tag = e.target && e.target.tagName;
		if (tag === 'INPUT' || tag === 'TEXTAREA' || e.ctrlKey || e.metaKey || e.altKey) return;
		if (key(e.key.toLowerCase())) e.preventDefault();
	});
	$('arrows-all').onchange = e => {
		state.allArrows = e.target.checked;
		if (!state.allArrows) {
			state.arrowsDrawn = 0;
			$('arrows-note').textContent = '';
		}
		draw();
	};
	$('search').addEventListener('input', e => showResults(e.target.value));
	$('search').addEventListener('keydown', e => {
		if (e.key === 'Enter' && state.results && state.results.length)
			jumpTo(state.results[0].ti, state.results[0].i);
	});
	window.addEventListener('resize', resize);
}

/* ---- flame graphs ---- */
/* callers above callees from the outermost frame; inverted: from the
 * innermost (where the samples or calls were), callers below */
function flameTree(kind, inverted) {
	const root = { name: 'all', v: 0, kids: new Map() };
	for (const [si, v] of D.flame[kind]) {
		let n = root;
		root.v += v;
		const fr = D.stacks[si];
		for (let j = 0; j < fr.length; j++) {
			const name = D.frames[fr[inverted ? j : fr.length - 1 - j]];
			let k = n.kids.get(name);
			if (!k) n.kids.set(name, k = { name, v: 0, kids: new Map() });
			k.v += v;
			n = k;
		}
	}
	return root;
}

function flameColour(name) {
	let h = 0;
	for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
	return 'hsl(' + (10 + Math.abs(h) % 40) + ',80%,' + (60 + Math.abs(h >> 8) % 20) + '%)';
}

function flame(kind) {
	const box = $('flame');
	box.textContent = '';
	const inv = $('flame-inv').checked;
	const root = flameTree(kind, inv), width = box.clientWidth || 800;
	const fmt = kind === 'heap' ? fmtBytes : fmtNs;
	state.flame = kind;
	state.inverted = inv;
	let depth = 0;
	const put = (n, x, d) => {
		const w = width * n.v / root.v;
		if (w < 2) return;
		const e = el('div', { class: 'fl', title: n.name + ' - ' + fmt(n.v) + ' (' +
			(100 * n.v / root.v).toFixed(1) + '%)' }, n.name);
		e.style.left = x + 'px';
		e.style.top = d * 17 + 'px';
		e.style.width = w + 'px';
		e.style.background = d ? flameColour(n.name) : '#e0e0e0';
		box.append(e);
		depth = Math.max(depth, d + 1);
		let cx = x;
		const kids = [...n.kids.values()].sort((a, b) => b.v - a.v);
		for (const k of kids) {
			put(k, cx, d + 1);
			cx += width * k.v / root.v;
		}
	};
	if (root.v) put(root, 0, 0);
	else box.append(el('em', {}, 'no ' + kind + ' stacks in this trace'));
	if (kind === 'cpu' && root.v)
		box.title = 'CPU time from samples (each stands for the CPU time since the one before), by function';
	/* a sampled heap: the bytes are estimates, scaled as profile heap scales them */
	let note = $('flame-note');
	if (!note) {
		note = el('p', { id: 'flame-note' });
		box.before(note);
	}
	note.textContent = kind === 'heap' && root.v && D.heap_sampling ?
		'Heap ' + D.heap_sampling + ': the bytes are estimates.' :
		kind === 'io' && D.stdio_served ? D.stdio_served + ' stdio call' +
		(D.stdio_served === 1 ? '' : 's') + ' served from the stream buffer, ' +
		'not timed: in no stack here.' : '';
	box.style.height = Math.max(20, depth * 17) + 'px';
}

function flames() {
	const tabs = $('flame-tabs');
	const kinds = Object.keys(D.flame);
	let first = null;
	for (const k of kinds) {
		const b = el('button', { 'data-kind': k }, k + ' (' + D.flame[k].length + ')');
		b.onclick = () => {
			for (const o of tabs.children) o.classList.toggle('on', o === b);
			flame(k);
		};
		tabs.append(b);
		if (!first && D.flame[k].length) first = b;
	}
	const inv = el('input', { type: 'checkbox', id: 'flame-inv' });
	const lab = el('label', { for: 'flame-inv', title: 'the innermost frames (where the CPU ' +
		'samples landed, or the blocking calls) at the root, their callers below' });
	lab.append(inv, document.createTextNode(' inverted'));
	inv.onchange = () => flame(state.flame);
	tabs.append(lab);
	(first || tabs.firstChild).click();
}

/* ---- thread table: lifetime and states as `ctrace threads` has them ---- */
function threadTable() {
	const tab = $('threads');
	const cols = ['thread', 'pid', 'lifetime'].concat(CAT.slice(0, NSTATES),
		['blocked calls', 'CPU samples']);
	const data = D.threads.filter(t => t.life > 0 || t.n).map(t =>
		[threadLabel(t), t.pid, t.life].concat(t.st, [t.n, t.ns, tidStr(t)]));
	const isNs = i => i >= 2 && i < 3 + NSTATES;
	let key = 2;
	const render = () => {
		tab.textContent = '';
		const hr = el('tr');
		cols.forEach((c, i) => {
			const th = el('th', {}, c);
			th.onclick = () => { key = i; render(); };
			hr.append(th);
		});
		tab.append(hr);
		data.sort((a, b) => typeof a[key] === 'string' ? a[key].localeCompare(b[key]) : b[key] - a[key]);
		for (const d of data) {
			const tr = el('tr', { class: 'thread-row', 'data-tid': d[d.length - 1], 'data-pid': d[1] });
			d.slice(0, cols.length).forEach((v, i) => tr.append(el('td', isNs(i) ?
				{ 'data-ns': v, title: (v / 1e9).toFixed(6) + ' s' } : {},
				isNs(i) ? fmtNs(v) : String(v))));
			tab.append(tr);
		}
	};
	render();
}

/* ---- tasks and region types (tasks.h, as `ctrace report` has them) ---- */
function userTables() {
	if (!D.tasks.length && !D.region_types.length) return;
	$('tasks-section').hidden = false;
	/* regions never move: no such column for them */
	const put = (tab, list, first, moved) => {
		const cols = [first, 'count', 'unfinished', 'moved', 'total', 'p50', 'p90', 'p99', 'max'];
		const hr = el('tr');
		cols.forEach((c, i) => { if (moved || i !== 3) hr.append(el('th', {}, c)); });
		tab.append(hr);
		for (const u of list) {
			const tr = el('tr', { class: 'utype-row', 'data-name': u[0] });
			u.forEach((v, i) => {
				if (moved || i !== 3)
					tr.append(el('td', {}, i <= 3 ? String(v) : fmtNs(v)));
			});
			tab.append(tr);
		}
	};
	if (D.tasks.length) put($('tasks'), D.tasks, 'task type', true);
	else $('tasks').replaceWith(el('em', {}, 'no tasks in this trace'));
	if (D.region_types.length) put($('region-types'), D.region_types, 'region type', false);
}

summary();
layout();
events();
resize();
flames();
threadTable();
userTables();
/* for scripts and tests: where things are drawn */
window.ctraceReport = {
	data: D,
	renderMs: performance.now() - t0,
	xOf: ns => canvas.getBoundingClientRect().left + X(ns),
	rowY: ti => {
		const r = threadRow(ti);
		return r ? canvas.getBoundingClientRect().top + r.y + r.band + SLICE_H / 2 : -1;
	},
	/* y of depth d of thread ti's region band, -1 if it has none */
	bandY: (ti, d) => {
		const r = threadRow(ti);
		return r && d < r.band / RB ? canvas.getBoundingClientRect().top + r.y + d * RB + RB / 2 : -1;
	},
	procY: pi => {
		const r = rows.find(r => r.kind === 'proc' && r.p === pi);
		return r ? canvas.getBoundingClientRect().top + r.y + r.h - 5 : -1;
	},
	zoom: (a, b) => { view0 = a; view1 = b; draw(); },
	view: () => [view0, view1],
	left: () => LEFT,
	/* y of the middle of the time axis */
	axisY: () => canvas.getBoundingClientRect().top + AXIS_H / 2,
	rangeTotals,
	search,
	/* y of the middle of thread ti's CPU sample lane; the columns with a
	 * tick in the last drawing */
	tickY: ti => {
		const r = threadRow(ti);
		return r ? canvas.getBoundingClientRect().top + r.y + r.band + SLICE_H + (TICK_H - 1) / 2 : -1;
	},
	tickCols: ti => { const r = threadRow(ti); return r ? r.tickCols : -1; },
	flameTree,
};
document.body.dataset.ready = '1';
})();
