// json-check.js - read a `ctrace export --format json` file with the two
// consumers users load it into, and say what each of them sees.
//
//   node json-check.js TRACE.json
//
// speedscope (npm `speedscope`): its own importer, run in node.  The
// package ships the app as one browser bundle; the importer is reached
// through the lazily loaded import module the app keeps in a variable,
// found by the call it makes, and the bundle's last statement (rendering
// the app into the page) is left out.  Prints per thread profile
// "ss PID TID DEPTH WEIGHT_NS" (the deepest nesting of its frames, the
// profile's total weight) and "ss_warnings N": the importer's complaints
// about ends that do not match the frame on top (the staircase).
//
// The Chrome DevTools trace engine (npm `@paulirish/trace_engine`): the
// model the Performance panel draws.  Prints per thread "te PID TID
// SLICES DEPTH BEGIN_NS END_NS NAME" (complete events in its tree of the
// thread, the deepest nesting of them, their span) and "te_flows N".
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const file = process.argv[2];
if (!file) {
	console.error('usage: node json-check.js TRACE.json');
	process.exit(2);
}
const text = fs.readFileSync(file, 'utf8');
const ns = us => Math.round(us * 1000);

async function speedscope() {
	const dir = path.join(__dirname, 'node_modules/speedscope/dist/release');
	const js = fs.readdirSync(dir).find(f => /^speedscope-.*\.js$/.test(f));
	let src = fs.readFileSync(path.join(dir, js), 'utf8');
	const m = src.match(/return\(await (\w+)\)\.importProfileGroupFromText/);
	const boot = src.lastIndexOf('console.log(`speedscope v');
	if (!m || boot < 0)
		throw new Error('speedscope bundle: importer not found');
	src = src.slice(0, boot) + `globalThis.__import = ${m[1]};})();`;
	let warnings = 0;
	const quiet = { log() {}, info() {}, error: console.error,
		warn() { warnings++; } };
	const ctx = { console: quiet, TextDecoder, TextEncoder, setTimeout,
		clearTimeout, URL, atob, btoa, navigator: { userAgent: 'node' },
		location: { href: 'file:///', hash: '', search: '', protocol: 'file:' },
		localStorage: { getItem: () => null, setItem() {} },
		addEventListener() {}, removeEventListener() {},
		document: { createElement: () => ({ style: {}, getContext: () => null }),
			addEventListener() {}, head: { appendChild() {} }, body: {} } };
	ctx.window = ctx.self = ctx.globalThis = ctx;
	vm.createContext(ctx);
	vm.runInContext(src, ctx);
	const imp = await ctx.__import;
	const g = await imp.importProfileGroupFromText(path.basename(file), text);
	for (const p of g.profiles) {
		let d = 0, max = 0;
		p.forEachCall(() => { if (++d > max) max = d; }, () => { d--; });
		const pid = (p.getName().match(/pid (\d+)/) || [])[1];
		const tid = (p.getName().match(/tid (\d+)/) || [])[1];
		console.log(`ss ${pid} ${tid} ${max} ${ns(p.getTotalWeight())}`);
	}
	console.log(`ss_warnings ${warnings}`);
}

async function traceEngine() {
	globalThis.DOMRect = globalThis.DOMRect || class DOMRect {
		constructor(x = 0, y = 0, w = 0, h = 0) {
			Object.assign(this, { x, y, width: w, height: h,
				top: y, left: x, right: x + w, bottom: y + h });
		}
	};
	const te = await import('@paulirish/trace_engine');
	const model = te.TraceModel.Model.createWithAllHandlers();
	await model.parse(JSON.parse(text).traceEvents);
	const parsed = model.parsedTrace();
	const data = parsed.data || parsed;
	for (const [pid, proc] of data.Renderer.processes) {
		for (const [tid, th] of proc.threads) {
			let n = 0, depth = 0, lo = Infinity, hi = -Infinity;
			for (const e of th.entries) {
				const node = data.Renderer.entryToNode.get(e);
				if (e.ph !== 'X' || !node)
					continue;
				n++;
				depth = Math.max(depth, node.depth + 1);
				lo = Math.min(lo, e.ts);
				hi = Math.max(hi, e.ts + e.dur);
			}
			if (n)
				console.log(`te ${pid} ${tid} ${n} ${depth} ${ns(lo)} ${ns(hi)} ${th.name || '-'}`);
		}
	}
	console.log(`te_flows ${data.Flows.flows.length}`);
}

(async () => {
	await speedscope();
	await traceEngine();
})().catch(e => {
	console.error(e && e.stack || e);
	process.exit(1);
});
