// check.js - open a `ctrace html` page in headless Chromium and check it.
//
//   node check.js PAGE.html [SCREENSHOT.png]
//
// Prints one "key value" line per finding and exits 1 if the page logged
// an error, lacks a timeline row for a thread of its data, or does not
// show the stack of a blocked interval in its details panel when that
// interval is clicked.  Chromium is Debian's (/usr/bin/chromium, or
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
main().catch(e => { console.log('error', String(e)); process.exit(1); });
