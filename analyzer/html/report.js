/* report.js - the page of `ctrace html`: summary, timeline, flame graphs,
 * thread table.  Reads the JSON that ctrace-analyze embedded (html.c says
 * what is in it); needs nothing else.  Times are ns since the trace began.
 */
'use strict';
(function () {
const t0 = performance.now();
const D = JSON.parse(document.getElementById('ctrace-data').textContent);
const PAL = D.palette.map(p => p[1]);
const CAT = D.palette.map(p => p[0]);
const NSTATES = 6;
const LEFT = 180;			/* width of the row labels */
const $ = id => document.getElementById(id);

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
	return (t.name || (t.tid === t.pid ? D.procs[t.proc].name : 'thread')) +
		' ' + t.tid;
}

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
}

/* ---- timeline ---- */
const rows = [];
let view0 = D.summary.begin, view1 = Math.max(D.summary.end, D.summary.begin + 1);
const canvas = $('canvas'), ctx = canvas.getContext('2d');
let W = 800, H = 100;

function layout() {
	let y = 0;
	const labels = $('labels');
	const add = (r, cls, text) => {
		r.y = y;
		y += r.h;
		rows.push(r);
		const l = el('div', { class: 'row-label ' + cls }, text);
		l.style.top = r.y + 'px';
		l.style.height = r.h + 'px';
		l.style.lineHeight = r.h + 'px';
		if (r.kind === 'thread') {
			l.dataset.tid = D.threads[r.t].tid;
			l.title = threadLabel(D.threads[r.t]);
		}
		labels.append(l);
	};
	D.procs.forEach((p, pi) => {
		add({ kind: 'proc', p: pi, h: 18 }, 'proc', p.name + ' (' + p.pid + ')');
		p.counters.forEach((c, ci) => {
			if (c.length > 2)
				add({ kind: 'counter', p: pi, c: ci, h: 26 }, 'counter',
					D.counters[ci]);
		});
		D.threads.forEach((t, ti) => {
			if (t.proc === pi)
				add({ kind: 'thread', t: ti, h: 16 }, 'thread', threadLabel(t));
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
	const t = D.threads[r.t], y = r.y + 1, h = r.h - 2;
	const npx = W - LEFT, nsPerPx = (view1 - view0) / npx;
	if (acc.length < npx * NSTATES) acc = new Float64Array(npx * NSTATES);
	else acc.fill(0, 0, npx * NSTATES);
	let dirty = false;
	/* alive: running unless a slice says otherwise */
	const a0 = Math.max(LEFT, X(t.first)), a1 = Math.min(W, X(t.last));
	if (a1 > a0) {
		ctx.globalAlpha = 0.35;
		ctx.fillStyle = PAL[0];
		ctx.fillRect(a0, y, Math.max(1, a1 - a0), h);
		ctx.globalAlpha = 1;
	}
	const put = (s, d, cat, busy) => {
		const x0 = X(s), x1 = X(s + d);
		if (x1 < LEFT || x0 > W) return;
		if (x1 - x0 >= 1) {
			ctx.globalAlpha = busy < d ? Math.max(0.25, busy / d) : 1;
			ctx.fillStyle = PAL[cat];
			ctx.fillRect(Math.max(LEFT, x0), y, Math.min(W, x1) - Math.max(LEFT, x0), h);
			ctx.globalAlpha = 1;
		} else {
			const c = Math.max(0, Math.min(npx - 1, Math.floor(x0 - LEFT)));
			acc[c * NSTATES + cat] += busy;
			dirty = true;
		}
	};
	for (let i = firstEnding(t.iv, view0); i < t.iv.length && t.iv[i][0] <= view1; i++)
		put(t.iv[i][0], t.iv[i][1], t.iv[i][2], t.iv[i][1]);
	for (let i = firstEnding(t.bk, view0); i < t.bk.length && t.bk[i][0] <= view1; i++)
		put(t.bk[i][0], t.bk[i][1], t.bk[i][2], t.bk[i][3]);
	if (!dirty) return;
	/* coarse zoom: per pixel column, the state it spent most time in */
	for (let c = 0; c < npx; c++) {
		let best = 0, sum = 0;
		for (let s = 1; s < NSTATES; s++) {
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

function drawCounter(r) {
	const c = D.procs[r.p].counters[r.c], y = r.y + 2, h = r.h - 4;
	let max = 1;
	for (let i = 1; i < c.length; i += 2) if (c[i] > max) max = c[i];
	ctx.fillStyle = r.c === 0 ? PAL[0] : PAL[9];
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
	ctx.fillText(r.c === 1 ? fmtBytes(max) : String(max), W - 60, y + 10);
}

function draw() {
	ctx.clearRect(0, 0, W, H);
	for (const r of rows) {
		if (r.kind === 'proc') {
			ctx.fillStyle = '#f5f5f5';
			ctx.fillRect(0, r.y, W, r.h);
		} else if (r.kind === 'thread') {
			drawThread(r);
		} else {
			drawCounter(r);
		}
	}
	/* time axis ticks along process rows */
	ctx.fillStyle = '#757575';
	ctx.font = '10px sans-serif';
	/* a 1, 2 or 5 step with labels at least 90 px apart */
	const minStep = (view1 - view0) * 90 / (W - LEFT);
	let step = Math.pow(10, Math.ceil(Math.log10(minStep)));
	if (step / 5 >= minStep) step /= 5;
	else if (step / 2 >= minStep) step /= 2;
	for (let t = Math.ceil(view0 / step) * step; t < view1; t += step) {
		const x = X(t);
		ctx.fillRect(x, 0, 1, 4);
		ctx.fillText(fmtNs(t), x + 2, 12);
	}
}

/* ---- details ---- */
function stackLines(si) {
	if (si < 0) return [];
	return D.stacks[si].map(f => D.frames[f]);
}

function hit(r, x) {
	const t = D.threads[r.t], ns = T(x), tol = 2 * (view1 - view0) / (W - LEFT);
	let i = firstEnding(t.iv, ns - tol);
	if (i < t.iv.length && t.iv[i][0] <= ns + tol) return { iv: t.iv[i] };
	i = firstEnding(t.bk, ns - tol);
	if (i < t.bk.length && t.bk[i][0] <= ns + tol) return { bk: t.bk[i] };
	return null;
}

function details(r, h) {
	const t = D.threads[r.t], box = $('details');
	box.textContent = '';
	const tab = el('table');
	const row = (k, v) => {
		const tr = el('tr');
		tr.append(el('td', {}, k), el('td', {}, v));
		tab.append(tr);
	};
	row('thread', threadLabel(t) + ' (pid ' + t.pid + ')');
	if (h.bk) {
		const b = h.bk;
		row('state', CAT[b[2]] + ' (' + b[4] + ' short intervals merged)');
		row('start', fmtNs(b[0]));
		row('window', fmtNs(b[1]));
		row('blocked', fmtNs(b[3]));
		box.append(tab);
		return;
	}
	const v = h.iv;
	row('state', CAT[v[2]]);
	row('call', v[3]);
	row('start', fmtNs(v[0]));
	row('duration', fmtNs(v[1]));
	if (v[4]) row('object', v[4]);
	if (v[5]) row('fd name', v[5]);
	if (v[6]) row('waker', 'thread ' + v[6] + (v[7] >= 0 ? ' at ' + fmtNs(v[7]) : ''));
	if (v[11]) row('holder', 'thread ' + v[11]);
	row('result', String(v[8]));
	if (v[9] >= 0) row('bytes', String(v[9]));
	box.append(tab);
	const frames = stackLines(v[10]);
	if (frames.length) {
		box.append(el('div', {}, 'stack:'));
		box.append(el('pre', { id: 'stack' }, frames.join('\n')));
	}
}

function rowAt(y) {
	for (const r of rows) if (y >= r.y && y < r.y + r.h) return r;
	return null;
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
	canvas.addEventListener('mousedown', e => {
		drag = { x: e.offsetX, v0: view0, v1: view1, moved: false };
		canvas.style.cursor = 'grabbing';
	});
	window.addEventListener('mousemove', e => {
		if (!drag) return;
		const dx = e.clientX - canvas.getBoundingClientRect().left - drag.x;
		if (Math.abs(dx) > 3) drag.moved = true;
		if (!drag.moved) return;
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
		if (!r || r.kind !== 'thread' || x < LEFT) return;
		const h = hit(r, x);
		if (h) details(r, h);
	});
	canvas.addEventListener('dblclick', () => {
		view0 = D.summary.begin;
		view1 = Math.max(D.summary.end, view0 + 1);
		draw();
	});
	window.addEventListener('resize', resize);
}

/* ---- flame graphs ---- */
function flameTree(kind) {
	const root = { name: 'all', v: 0, kids: new Map() };
	for (const [si, v] of D.flame[kind]) {
		let n = root;
		root.v += v;
		const fr = D.stacks[si];
		for (let i = fr.length - 1; i >= 0; i--) {
			const name = D.frames[fr[i]];
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
	const root = flameTree(kind), width = box.clientWidth || 800;
	const fmt = kind === 'heap' ? fmtBytes : fmtNs;
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
	(first || tabs.firstChild).click();
}

/* ---- thread table ---- */
function threadTable() {
	const tab = $('threads');
	const cols = ['thread', 'pid', 'lifetime', 'running', 'sync', 'io', 'wait', 'sleep', 'join', 'blocked calls'];
	const data = D.threads.filter(t => t.last >= t.first).map(t => {
		const life = t.last - t.first;
		let blocked = 0;
		for (let s = 1; s < NSTATES; s++) blocked += t.time[s];
		return [threadLabel(t), t.pid, life, Math.max(0, life - blocked),
			t.time[1], t.time[2], t.time[3], t.time[4], t.time[5], t.n];
	});
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
			const tr = el('tr', { class: 'thread-row' });
			d.forEach((v, i) => tr.append(el('td', {},
				i >= 2 && i <= 8 ? fmtNs(v) : String(v))));
			tab.append(tr);
		}
	};
	render();
}

summary();
layout();
events();
resize();
flames();
threadTable();
/* for scripts and tests: where things are drawn */
window.ctraceReport = {
	data: D,
	renderMs: performance.now() - t0,
	xOf: ns => canvas.getBoundingClientRect().left + X(ns),
	rowY: ti => {
		const r = rows.find(r => r.kind === 'thread' && r.t === ti);
		return r ? canvas.getBoundingClientRect().top + r.y + r.h / 2 : -1;
	},
	zoom: (a, b) => { view0 = a; view1 = b; draw(); },
};
document.body.dataset.ready = '1';
})();
