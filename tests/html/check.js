// check.js - open a `ctrace html` page in headless Chromium and check it.
//
//   node check.js PAGE.html [SCREENSHOT.png]
//
// Prints one "key value" line per finding and exits 1 if the page logged
// an error, lacks a timeline row for a thread of its data, or does not
// show the stack of a blocked interval in its details panel when that
// interval is clicked.  When the data has them, it also clicks (and
// fails if the page does not answer):
//   a user region (its name in the details: region_shown yes),
//   a blocked interval with a waker (window.ctraceState.arrow from the
//     waker's row: wake_arrow yes; its "waker" link selects that row:
//     waker_link yes), a thread's start (create_arrow yes),
//   an instant on a process row (instant_shown yes),
// and prints region_bands (threads with a region band), instants, and
// per task type "task NAME COUNT" as the tasks table shows it.
// CPU and the residue (cpu_checks): per thread with samples "ticks TID N"
// (pixel columns of its sample lane the canvas has a tick drawn in, the
// whole trace in view; fails if a thread with samples has none or one
// without has any), the cpu flame graph tab ("cpu_tab yes", its widest
// path from the root: "cpu_path F1;F2;...", and inverted, leaf functions
// at the root, the widest box under it: "cpu_inverted_root_child F"),
// the longest residue slice
// clicked ("residue_shown STATE" when the details give its shares), an
// unfinished call clicked ("unfinished_shown yes" when the details say
// it was still blocked at exit), and per row of the thread table
// "life TID NS" (the lifetime it shows, in ns).
// Usability (ui_checks), each compared with what this script computes
// from the embedded data on its own: per thread "label TID TEXT" and
// "labels_clipped N" (rows under 20 px or labels wider than their box),
// a range dragged on the time axis and one shift-dragged on a thread row
// ("range_axis yes", "range_shift yes": the page's per-thread, per-state
// ns equal the slices clipped to the range), W/S/A/D ("keys yes", and
// "key_w_mouse yes": W keeps the time under the pointer), all wake arrows
// in view ("arrows_all N", the count drawn, and "arrows_toggle yes"),
// and search ("search Q N" for every call name and the first
// function of a stack, "search_jump yes" when the first result clicked
// is brought into view with its details).
// Chromium is Debian's (/usr/bin/chromium, or
// $CHROMIUM); playwright-core only drives it and downloads nothing.
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

async function main() {
	const page_path = path.resolve(process.argv[2]);
	const shot = process.argv[3];
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu',
			'--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--no-first-run'],
	});
	const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
	const errors = [];
	page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
	page.on('pageerror', e => errors.push(String(e)));
	// the page must need nothing from the network
	await page.route(/^(?!file:)/, r => { errors.push('request ' + r.request().url()); r.abort(); });
	const t0 = Date.now();
	await page.goto('file://' + page_path);
	await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
	console.log('load_ms', Date.now() - t0);
	console.log('render_ms', Math.round(await page.evaluate(() => window.ctraceReport.renderMs)));
	const threads = await page.evaluate(() => window.ctraceReport.data.threads.length);
	const rows = await page.locator('.row-label[data-tid]').count();
	console.log('threads', threads);
	console.log('rows', rows);
	let ok = rows === threads && threads > 0;

	// the longest blocked interval that has a stack: zoom on it, click it
	const target = await page.evaluate(() => {
		const D = window.ctraceReport.data;
		let best = null;
		D.threads.forEach((t, ti) => t.iv.forEach(v => {
			if (v[10] >= 0 && (!best || v[1] > best.v[1])) best = { ti, v };
		}));
		if (!best) return null;
		const v = best.v;
		window.ctraceReport.zoom(v[0] - v[1] / 2, v[0] + v[1] * 1.5);
		return {
			x: window.ctraceReport.xOf(v[0] + v[1] / 2),
			y: window.ctraceReport.rowY(best.ti),
			frames: D.stacks[v[10]].map(f => D.frames[f]).join('\n'),
		};
	});
	if (target) {
		await page.locator('#timeline').scrollIntoViewIfNeeded();
		const box = await page.evaluate(t => {
			window.scrollTo(0, 0);
			return { x: t.x, y: t.y };
		}, target);
		// coordinates are of the viewport: scroll the row into view first
		await page.evaluate(y => window.scrollTo(0, Math.max(0, y - 300)), box.y);
		const y = await page.evaluate(() => window.scrollY);
		await page.mouse.click(box.x, box.y - y);
		const shown = await page.locator('#stack').textContent({ timeout: 5000 }).catch(() => null);
		console.log('stack_shown', shown === target.frames ? 'yes' : 'no');
		if (shown !== target.frames) {
			ok = false;
			console.log('stack_expected', JSON.stringify(target.frames));
			console.log('stack_got', JSON.stringify(shown));
		}
		await page.evaluate(() => window.scrollTo(0, 0));
	} else {
		console.log('stack_shown', 'none-in-data');
		ok = false;
	}
	ok = await user_checks(page) && ok;
	ok = await cpu_checks(page) && ok;
	ok = await ui_checks(page) && ok;
	if (shot) {
		await page.evaluate(() => { const D = window.ctraceReport.data;
			window.ctraceReport.zoom(D.summary.begin, D.summary.end); });
		await page.screenshot({ path: shot, fullPage: true });
	}
	console.log('errors', errors.length);
	for (const e of errors) console.log('error', e);
	if (errors.length) ok = false;
	await browser.close();
	process.exit(ok ? 0 : 1);
}
// click at (x, y) of the document: scroll there first
async function click_at(page, p) {
	await page.evaluate(y => window.scrollTo(0, Math.max(0, y - 300)), p.y + 0);
	const sy = await page.evaluate(() => window.scrollY);
	await page.mouse.click(p.x, p.y - sy);
}

// positions are taken with the page scrolled to the top
async function place(page, fn, arg) {
	await page.evaluate(() => window.scrollTo(0, 0));
	return page.evaluate(fn, arg);
}

async function user_checks(page) {
	let ok = true;
	const bands = await page.evaluate(() => {
		const R = window.ctraceReport, D = R.data;
		let n = 0, want = 0;
		D.threads.forEach((t, ti) => {
			if (t.rg.length) want++;
			if (t.rg.length && R.bandY(ti, 0) >= 0) n++;
		});
		return { n, want };
	});
	console.log('region_bands', bands.n);
	if (bands.n !== bands.want) ok = false;

	// the longest region: zoom on it, click its band
	const rg = await place(page, () => {
		const R = window.ctraceReport, D = R.data;
		let best = null;
		D.threads.forEach((t, ti) => t.rg.forEach(r => {
			if (r[4] === 1 && (!best || r[1] > best.r[1])) best = { ti, r };
		}));
		if (!best) return null;
		const r = best.r;
		R.zoom(r[0] - r[1] / 2, r[0] + r[1] * 1.5);
		return { x: R.xOf(r[0] + r[1] / 2), y: R.bandY(best.ti, r[2]), name: D.names[r[3]] };
	});
	if (rg) {
		await click_at(page, rg);
		const txt = await page.locator('#details').textContent();
		const shown = txt.includes('region' + rg.name);
		console.log('region_shown', shown ? 'yes' : 'no');
		if (!shown) ok = false;
	}

	// the longest blocked interval with a waker on another thread
	const wk = await place(page, () => {
		const R = window.ctraceReport, D = R.data;
		let best = null;
		D.threads.forEach((t, ti) => t.iv.forEach(v => {
			if (v[6] && v[6] !== t.tid && v[7] >= 0 && (!best || v[1] > best.v[1]))
				best = { ti, v, t };
		}));
		if (!best) return null;
		const v = best.v;
		// a reused tid: the waker is the thread that had it at the wake
		let from = -1;
		D.threads.forEach((o, oi) => {
			if (o.pid === best.t.pid && o.tid === v[6] && (from < 0 ||
			    (o.first <= v[7] && o.first >= D.threads[from].first)))
				from = oi;
		});
		const a = Math.min(v[0], v[7]), b = Math.max(v[0] + v[1], v[7]);
		R.zoom(a - (b - a) / 2, b + (b - a) / 2);
		return { x: R.xOf(v[0] + v[1] / 2), y: R.rowY(best.ti), from, to: best.ti,
			ts0: v[7], ts1: v[0] + v[1] };
	});
	if (wk) {
		await click_at(page, wk);
		const a = await page.evaluate(() => window.ctraceState.arrow);
		const good = a && a.kind === 'wake' && a.from === wk.from && a.to === wk.to &&
			a.ts0 === wk.ts0 && a.ts1 === wk.ts1;
		console.log('wake_arrow', good ? 'yes' : 'no');
		if (!good) ok = false;
		await page.locator('#details a.thread-link').click();
		const sel = await page.evaluate(() => window.ctraceState.sel);
		const lab = await page.locator('.row-label.sel').getAttribute('data-ti').catch(() => null);
		const linked = sel === wk.from && lab === String(wk.from);
		console.log('waker_link', linked ? 'yes' : 'no');
		if (!linked) ok = false;
	}

	// a started thread: click its start, expect the create arrow
	const st = await place(page, () => {
		const R = window.ctraceReport, D = R.data;
		const ti = D.threads.findIndex(t => t.cr);
		if (ti < 0) return null;
		const c = D.threads[ti].cr, span = Math.max(1000, c[2] - c[1]);
		R.zoom(c[1] - span / 2, c[2] + span / 2);
		return { x: R.xOf(c[2]), y: R.rowY(ti), ti };
	});
	if (st) {
		await click_at(page, st);
		const a = await page.evaluate(() => window.ctraceState.arrow);
		const good = a && a.kind === 'create' && a.to === st.ti;
		console.log('create_arrow', good ? 'yes' : 'no');
		if (!good) ok = false;
	}

	// the first instant of the first process
	const inst = await place(page, () => {
		const R = window.ctraceReport, D = R.data;
		const n = D.procs.reduce((a, p) => a + p.in.length, 0);
		if (!n) return { n };
		const v = D.procs[0].in[0];
		R.zoom(v[0] - 1e6, v[0] + 1e6);
		return { n, x: R.xOf(v[0]), y: R.procY(0), name: D.names[v[2]] };
	});
	console.log('instants', inst.n);
	if (inst.n) {
		await click_at(page, inst);
		const txt = await page.locator('#details').textContent();
		const shown = txt.includes('instant' + inst.name);
		console.log('instant_shown', shown ? 'yes' : 'no');
		if (!shown) ok = false;
	}

	// the tasks table, as shown
	const rows = await page.$$eval('#tasks tr.utype-row', trs =>
		trs.map(tr => [...tr.children].slice(0, 2).map(td => td.textContent)));
	for (const [name, count] of rows) console.log('task', name, count);
	await page.evaluate(() => window.scrollTo(0, 0));
	return ok;
}

// thread ti's sample lane, whole trace in view: columns with a dark tick
async function tick_columns(page, ti) {
	return page.evaluate(ti => {
		const R = window.ctraceReport, D = R.data;
		window.ctraceState.arrow = null;	/* it may cross the lane */
		R.zoom(D.summary.begin, D.summary.end);
		const c = document.getElementById('canvas'), rect = c.getBoundingClientRect();
		const dpr = window.devicePixelRatio || 1;
		const y = Math.round((R.tickY(ti) - rect.top) * dpr);
		const px = c.getContext('2d').getImageData(0, y, c.width, 1).data;
		let n = 0;
		for (let x = Math.round(R.left() * dpr); x < c.width; x++) {
			const i = 4 * x;
			if (px[i + 3] > 100 && px[i] + px[i + 1] + px[i + 2] < 400) n++;
		}
		return n;
	}, ti);
}

async function cpu_checks(page) {
	let ok = true;
	const threads = await place(page, () => window.ctraceReport.data.threads.map(t =>
		({ tid: t.tid, ns: t.ns })));
	for (let ti = 0; ti < threads.length; ti++) {
		const n = await tick_columns(page, ti);
		if (threads[ti].ns) console.log('ticks', threads[ti].tid, n);
		if (threads[ti].ns ? n === 0 : n !== 0) ok = false;
	}

	// the cpu flame graph: its tab, and the widest path down from the root
	const tab = page.locator('#flame-tabs button[data-kind="cpu"]');
	if (await tab.count()) {
		console.log('cpu_tab', 'yes');
		await tab.click();
		const on = await tab.getAttribute('class');
		const path = await page.evaluate(() => {
			let n = window.ctraceReport.flameTree('cpu');
			const names = [];
			while (n.kids.size) {
				n = [...n.kids.values()].sort((a, b) => b.v - a.v)[0];
				names.push(n.name);
			}
			return names;
		});
		const shown = await page.locator('#flame .fl').count();
		console.log('cpu_path', path.join(';'));
		if (on !== 'on' || (path.length && !shown)) ok = false;
		// inverted, as drawn: the widest box under the root, by width
		await page.locator('#flame-inv').check();
		const top = await page.$$eval('#flame .fl', els => {
			let best = null;
			for (const e of els)
				if (e.style.top === '17px' && (!best || e.offsetWidth > best.offsetWidth)) best = e;
			return best ? best.textContent : '';
		});
		console.log('cpu_inverted_root_child', top || '-');
		await page.locator('#flame-inv').uncheck();
	} else {
		console.log('cpu_tab', 'no');
		ok = false;
	}

	// the longest residue slice: its details give the three shares
	const rs = await place(page, () => {
		const R = window.ctraceReport, D = R.data;
		let best = null;
		D.threads.forEach((t, ti) => t.rs.forEach(v => {
			if (!best || v[1] > best.v[1]) best = { ti, v };
		}));
		if (!best) return null;
		const v = best.v;
		R.zoom(v[0] - v[1] / 2, v[0] + v[1] * 1.5);
		return { x: R.xOf(v[0] + v[1] / 2), y: R.rowY(best.ti), state: D.palette[v[2]][0] };
	});
	if (rs) {
		await click_at(page, rs);
		const txt = await page.locator('#details').textContent();
		const good = /shares\s*running \d+%, runnable \d+%, unknown \d+%/.test(txt);
		console.log('residue_shown', good ? rs.state : 'no');
		if (!good) ok = false;
	}

	// an unfinished call: its details say so
	const un = await place(page, () => {
		const R = window.ctraceReport, D = R.data;
		let best = null;
		D.threads.forEach((t, ti) => t.iv.forEach(v => {
			if (v[12] && (!best || v[1] > best.v[1])) best = { ti, v };
		}));
		if (!best) return null;
		const v = best.v;
		R.zoom(v[0] - v[1] / 2, v[0] + v[1] * 1.5);
		return { x: R.xOf(v[0] + v[1] / 2), y: R.rowY(best.ti) };
	});
	if (un) {
		await click_at(page, un);
		const txt = await page.locator('#details').textContent();
		const good = txt.includes('unfinished (still blocked at exit)');
		console.log('unfinished_shown', good ? 'yes' : 'no');
		if (!good) ok = false;
	}

	// the thread table's lifetimes
	const lives = await page.$$eval('#threads tr.thread-row', trs =>
		trs.map(tr => [tr.dataset.tid, tr.children[2].dataset.ns]));
	for (const [tid, ns] of lives) console.log('life', tid, ns);
	await page.evaluate(() => window.scrollTo(0, 0));
	return ok;
}

// ---- usability ----

async function label_checks(page) {
	const r = await place(page, () => {
		const D = window.ctraceReport.data;
		let clipped = 0, min = 1e9;
		const out = D.threads.map((t, ti) => {
			const l = document.querySelector('.row-label[data-ti="' + ti + '"]');
			// a reused tid (data: gen) says which of its threads
			const want = (t.label || t.name || 'thread') + ' ' +
				(t.gen ? t.tid + '#' + t.gen : t.tid);
			if (!l) return { tid: t.tid, text: null, good: false };
			min = Math.min(min, l.offsetHeight);
			const fits = l.scrollWidth <= l.clientWidth && l.offsetHeight >= 20;
			if (!fits) clipped++;
			return { tid: t.tid, text: l.textContent, good: l.textContent === want };
		});
		return { out, clipped, min };
	});
	let ok = r.clipped === 0;
	for (const l of r.out) {
		console.log('label', l.tid, l.text);
		if (!l.good) ok = false;
	}
	console.log('labels_clipped', r.clipped);
	console.log('row_px_min', r.min);
	return ok;
}

// ns by state per thread of the slices clipped to [a, b), computed here
function expect_range(D, a, b) {
	const clip = (s, d) => Math.max(0, Math.min(s + d, b) - Math.max(s, a));
	const per = {};
	for (const t of D.threads) {
		const ns = {};
		let any = false;
		const add = (st, v) => { if (v) { ns[st] = (ns[st] || 0) + v; any = true; } };
		for (const v of t.iv) add(D.palette[v[2]][0], clip(v[0], v[1]));
		for (const v of t.rs) add(D.palette[v[2]][0], clip(v[0], v[1]));
		for (const k of t.bk) {
			const c = clip(k[0], k[1]);
			if (c) add(D.palette[k[2]][0], Math.round(k[3] * c / k[1])), any = true;
		}
		if (any) per[t.pid + ':' + t.tid] = ns;
	}
	return per;
}

// what the selection panel shows: pid:tid -> state -> ns
async function shown_range(page) {
	return page.$$eval('#range-table tr.range-thread', trs => {
		const o = {};
		for (const tr of trs) {
			const ns = {};
			for (const td of tr.querySelectorAll('td[data-state]'))
				if (td.dataset.state !== 'total' && +td.dataset.ns) ns[td.dataset.state] = +td.dataset.ns;
			o[tr.dataset.pid + ':' + tr.dataset.tid] = ns;
		}
		return o;
	});
}

// drag from x0 to x1 at document y (shift held if asked); the range the
// page took, the totals it shows, and whether they are the data's
async function range_check(page, D, y, x0, x1, shift) {
	await page.evaluate(() => window.scrollTo(0, 0));
	const sy = await page.evaluate(() => window.scrollY);
	if (shift) await page.keyboard.down('Shift');
	await page.mouse.move(x0, y - sy);
	await page.mouse.down();
	await page.mouse.move((x0 + x1) / 2, y - sy, { steps: 3 });
	await page.mouse.move(x1, y - sy, { steps: 3 });
	await page.mouse.up();
	if (shift) await page.keyboard.up('Shift');
	const r = await page.evaluate(() => window.ctraceState.range);
	if (!r) return { good: false, why: 'no range' };
	const px = await page.evaluate(r => [window.ctraceReport.xOf(r[0]), window.ctraceReport.xOf(r[1])], r);
	if (Math.abs(px[0] - x0) > 1.5 || Math.abs(px[1] - x1) > 1.5)
		return { good: false, why: 'range at ' + px + ' not ' + [x0, x1] };
	const want = expect_range(D, r[0], r[1]), got = await shown_range(page);
	const good = JSON.stringify(Object.keys(want).sort()) === JSON.stringify(Object.keys(got).sort()) &&
		Object.keys(want).every(k => JSON.stringify(Object.entries(want[k]).sort()) ===
			JSON.stringify(Object.entries(got[k]).sort()));
	let total = 0;
	for (const k in want) for (const s in want[k]) total += want[k][s];
	return { good, r, total, n: Object.keys(want).length, want, got };
}

async function key_checks(page) {
	const near = (a, b, span) => Math.abs(a - b) <= 1e-9 * span + 1e-6;
	await page.evaluate(() => { const D = window.ctraceReport.data;
		window.ctraceReport.zoom(D.summary.begin, D.summary.end); });
	await page.mouse.move(2, 2);		/* off the canvas: keys act on the middle */
	await page.locator('h1').click();	/* nothing focused that takes keys */
	const seq = [['w', v => { const c = (v[0] + v[1]) / 2, s = (v[1] - v[0]) * 0.8; return [c - s / 2, c + s / 2]; }],
		['d', v => { const d = 0.2 * (v[1] - v[0]); return [v[0] + d, v[1] + d]; }],
		['a', v => { const d = 0.2 * (v[1] - v[0]); return [v[0] - d, v[1] - d]; }],
		['s', v => { const c = (v[0] + v[1]) / 2, s = (v[1] - v[0]) / 0.8; return [c - s / 2, c + s / 2]; }]];
	let ok = true;
	for (const [k, f] of seq) {
		const v0 = await page.evaluate(() => window.ctraceReport.view());
		await page.keyboard.press(k);
		const v1 = await page.evaluate(() => window.ctraceReport.view());
		const w = f(v0), span = v0[1] - v0[0];
		const good = near(v1[0], w[0], span) && near(v1[1], w[1], span);
		console.log('key_' + k, good ? 'yes' : 'no');
		if (!good) { console.log('key_' + k + '_view', JSON.stringify(v0), JSON.stringify(v1)); ok = false; }
	}
	// W with the pointer over the tracks: the time under it stays put
	const m = await place(page, () => {
		const R = window.ctraceReport, v = R.view();
		const ns = v[0] + 0.25 * (v[1] - v[0]);
		return { x: R.xOf(ns), y: R.rowY(0), ns };
	});
	await page.mouse.move(m.x, m.y);
	await page.keyboard.press('w');
	const after = await page.evaluate(x => {
		const R = window.ctraceReport, v = R.view(), left = R.xOf(v[0]), right = R.xOf(v[1]);
		return { ns: v[0] + (x - left) / (right - left) * (v[1] - v[0]),
			px: (v[1] - v[0]) / (right - left) };
	}, m.x);
	/* the pointer's position is whole pixels: within one of it */
	const still = Math.abs(after.ns - m.ns) <= after.px;
	console.log('key_w_mouse', still ? 'yes' : 'no');
	// typing into the search box does not move the view
	const v0 = await page.evaluate(() => window.ctraceReport.view());
	await page.locator('#search').fill('');
	await page.locator('#search').press('d');
	const v1 = await page.evaluate(() => window.ctraceReport.view());
	await page.locator('#search').fill('');
	const typed = v0[0] === v1[0] && v0[1] === v1[1];
	console.log('key_in_search_ignored', typed ? 'yes' : 'no');
	return ok && still && typed;
}

async function arrow_checks(page) {
	const want = await place(page, () => {
		const R = window.ctraceReport, D = R.data;
		R.zoom(D.summary.begin, D.summary.end);
		const v = R.view();
		let n = 0;
		for (const t of D.threads)
			for (const iv of t.iv) {
				if (!iv[6] || iv[6] === t.tid || iv[7] < 0) continue;
				if (!D.threads.some(o => o.pid === t.pid && o.tid === iv[6])) continue;
				const a = Math.min(iv[7], iv[0] + iv[1]), b = Math.max(iv[7], iv[0] + iv[1]);
				if (b >= v[0] && a <= v[1]) n++;
			}
		return Math.min(n, 5000);
	});
	const pixels = () => page.evaluate(() => {
		const c = document.getElementById('canvas');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let h = 0;
		for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
		return h;
	});
	const before = await pixels();
	await page.locator('#arrows-all').check();
	const drawn = await page.evaluate(() => window.ctraceState.arrowsDrawn);
	const on = await pixels();
	await page.locator('#arrows-all').uncheck();
	const off = await page.evaluate(() => window.ctraceState.arrowsDrawn);
	const back = await pixels();
	console.log('arrows_all', drawn);
	const toggled = want ? on !== before && back === before && off === 0 : on === before;
	console.log('arrows_toggle', toggled ? 'yes' : 'no');
	if (drawn !== want) console.log('arrows_expected', want);
	return drawn === want && toggled;
}

async function search_checks(page) {
	const q = await page.evaluate(() => {
		const D = window.ctraceReport.data;
		// every call name that occurs, not only the first: which
		// blocked call comes first depends on the run's scheduling
		const calls = new Set();
		let fn = null;
		for (const t of D.threads)
			for (const v of t.iv) {
				calls.add(v[3]);
				if (!fn && v[10] >= 0) {
					const f = D.frames[D.stacks[v[10]][0]];
					fn = f.split(' (')[0].split('+')[0];
				}
			}
		return [...[...calls].sort(), fn].filter(x => x);
	});
	let ok = q.length > 0;
	for (const word of q) {
		// the blocked calls whose call or a frame of whose stack has it
		const want = await page.evaluate(w => {
			const D = window.ctraceReport.data, lw = w.toLowerCase(), out = [];
			D.threads.forEach((t, ti) => t.iv.forEach((v, i) => {
				const fr = v[10] >= 0 ? D.stacks[v[10]].map(f => D.frames[f].toLowerCase()) : [];
				if (v[3].toLowerCase().includes(lw) || fr.some(f => f.includes(lw))) out.push([ti, i]);
			}));
			return out;
		}, word);
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.locator('#search').fill(word);
		const count = await page.locator('#search-count').textContent();
		const items = await page.locator('#search-results li.result').count();
		const n = parseInt(count, 10);
		console.log('search', word, n);
		if (n !== want.length || items !== Math.min(200, want.length)) {
			console.log('search_expected', want.length, 'listed', items);
			ok = false;
		}
		if (!want.length) continue;
		await page.locator('#search-results li.result a').first().click();
		const j = await page.evaluate(() => {
			const S = window.ctraceState, R = window.ctraceReport, D = R.data;
			const v = D.threads[S.found.ti].iv[S.found.i], w = R.view();
			return { found: [S.found.ti, S.found.i], inview: v[0] >= w[0] && v[0] + v[1] <= w[1],
				sel: S.sel, call: v[3],
				details: document.getElementById('details').textContent };
		});
		const good = j.found[0] === want[0][0] && j.found[1] === want[0][1] && j.inview &&
			j.sel === want[0][0] && j.details.includes('call' + j.call);
		console.log('search_jump', good ? 'yes' : 'no');
		if (!good) ok = false;
	}
	await page.locator('#search').fill('');
	return ok;
}

async function ui_checks(page) {
	const D = await page.evaluate(() => window.ctraceReport.data);
	let ok = await label_checks(page);
	// a range dragged on the time axis: the middle half of the trace,
	// widened to every thread's midpoint, so that each thread has time
	// in it however the scheduler placed the short ones
	const g = await place(page, () => {
		const R = window.ctraceReport, D = R.data;
		R.zoom(D.summary.begin, D.summary.end);
		const a = R.xOf(D.summary.begin), b = R.xOf(D.summary.end);
		let lo = a + 0.25 * (b - a), hi = a + 0.75 * (b - a);
		for (const t of D.threads) {
			let first = Infinity, last = -Infinity;
			for (const v of [...t.iv, ...t.rs, ...t.bk]) {
				first = Math.min(first, v[0]);
				last = Math.max(last, v[0] + v[1]);
			}
			if (first > last) continue;
			const mid = R.xOf((first + last) / 2);
			lo = Math.min(lo, mid - 1);
			hi = Math.max(hi, mid + 1);
		}
		return { y: R.axisY(), x0: Math.round(lo), x1: Math.round(hi),
			ty: R.rowY(D.threads.length - 1),
			s0: Math.round(a + 0.1 * (b - a)), s1: Math.round(a + 0.6 * (b - a)) };
	});
	const ax = await range_check(page, D, g.y, g.x0, g.x1, false);
	console.log('range_axis', ax.good ? 'yes' : 'no');
	if (ax.good) console.log('range_threads', ax.n);
	else console.log('range_axis_why', ax.why || JSON.stringify({ want: ax.want, got: ax.got }));
	const sh = await range_check(page, D, g.ty, g.s0, g.s1, true);
	console.log('range_shift', sh.good ? 'yes' : 'no');
	if (!sh.good) console.log('range_shift_why', sh.why || JSON.stringify({ want: sh.want, got: sh.got }));
	// a click on the axis clears it
	await page.mouse.click(g.x0, g.y);
	const cleared = await page.evaluate(() => window.ctraceState.range === null &&
		document.getElementById('selection').hidden);
	console.log('range_cleared', cleared ? 'yes' : 'no');
	ok = ax.good && sh.good && cleared && ok;
	ok = await key_checks(page) && ok;
	ok = await arrow_checks(page) && ok;
	ok = await search_checks(page) && ok;
	await page.evaluate(() => window.scrollTo(0, 0));
	return ok;
}

main().catch(e => { console.log('error', String(e)); process.exit(1); });
