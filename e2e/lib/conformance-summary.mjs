#!/usr/bin/env node
// Summarises a `conformance server -o <dir>` run against an expected-failures list.
//
//   node conformance-summary.mjs <results-dir> <expected-failures.txt> <scenario>...
//
// A scenario passes when its checks.json has no FAILURE (and, unless CONFORMANCE_WARNINGS=pass,
// no WARNING: the upstream baseline logic also counts warnings as failures).
// expected-failures.txt: one scenario id per line, optional "# reason"; blank lines and lines
// starting with # are ignored.
// Listed + failing -> ok (expected failure); listed + passing -> not ok (stale entry: remove it);
// not listed + failing -> not ok. Last line: "N passed, M failed".
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, xfFile, ...scenarios] = process.argv.slice(2);
const warnAsFail = (process.env.CONFORMANCE_WARNINGS ?? 'fail') !== 'pass';

const expected = new Map();
if (xfFile && existsSync(xfFile)) {
  for (const raw of readFileSync(xfFile, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [id, ...rest] = line.split('#');
    expected.set(id.trim(), rest.join('#').trim());
  }
}

// newest results directory per scenario: server-<scenario>-<ISO timestamp with - for : and .>
const latest = new Map();
for (const d of existsSync(dir) ? readdirSync(dir) : []) {
  const m = d.match(/^server-(.+)-(\d{4}-\d{2}-\d{2}T[\d-]+Z)$/);
  if (!m) continue;
  const prev = latest.get(m[1]);
  if (!prev || prev.ts < m[2]) latest.set(m[1], { ts: m[2], path: join(dir, d, 'checks.json') });
}

let passed = 0; let failed = 0; let n = 0;
const out = (ok, text) => { n += 1; if (ok) passed += 1; else failed += 1; console.log(`${ok ? 'ok' : 'not ok'} ${n} - ${text}`); };
const all = scenarios.length ? scenarios : [...latest.keys()];
for (const s of all) {
  const entry = latest.get(s);
  let checks = null;
  try { checks = entry ? JSON.parse(readFileSync(entry.path, 'utf8')) : null; } catch { checks = null; }
  let bad;
  let why;
  if (!Array.isArray(checks)) {
    bad = true; why = 'no results (scenario crashed or timed out)';
  } else {
    const f = checks.filter((c) => c.status === 'FAILURE');
    const w = checks.filter((c) => c.status === 'WARNING');
    bad = f.length > 0 || (warnAsFail && w.length > 0);
    why = [...f.map((c) => `FAILURE ${c.id}: ${c.errorMessage ?? c.description}`),
      ...w.map((c) => `WARNING ${c.id}: ${c.errorMessage ?? c.description}`)].join(' | ');
  }
  const xf = expected.has(s);
  if (bad && xf) out(true, `${s} # expected failure (${expected.get(s) || 'no reason given'}): ${why.slice(0, 300)}`);
  else if (bad) out(false, `${s} # ${why.replace(/\s+/g, ' ').slice(0, 600)}`);
  else if (xf) out(false, `${s} # passes but is listed in the expected-failures file: remove it`);
  else out(true, s);
}
for (const s of expected.keys()) {
  if (!all.includes(s)) console.log(`# note: expected-failures entry '${s}' was not run in this suite`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
