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
// "life TID NS" (the lifetime it shows, in ns).  Chromium is Debian's (/usr/bin/chromium, or
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
		const from = D.threads.findIndex(o => o.pid === best.t.pid && o.tid === v[6]);
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
		for (let x = Math.round(180 * dpr); x < c.width; x++) {
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

main().catch(e => { console.log('error', String(e)); process.exit(1); });
