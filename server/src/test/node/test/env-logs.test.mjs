import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fnSpec, startWorker } from '../support/harness.mjs';

const ENV_REPORT = `
  const before = process.env.NAME;
  await new Promise((r) => setTimeout(r, 5 + Math.random() * 30));
  const report = {
    before,
    after: process.env.NAME,
    keys: Object.keys(process.env).sort(),
    json: JSON.parse(JSON.stringify(process.env)),
    spread: { ...process.env },
    hasName: 'NAME' in process.env,
    hostVisible: ['TENANTRY_SOCKET', 'PATH', 'HOST_ONLY_SECRET'].filter((k) => k in process.env || process.env[k] !== undefined),
    written: process.env.WRITTEN ?? null,
  };`;

const ALPHA_ESM = `
export default {
  async fetch(request, env) {
    ${ENV_REPORT}
    report.arg = { ...env };
    report.argFrozen = Object.isFrozen(env);
    return Response.json(report);
  },
};`;

const BETA_CJS = `
exports.handler = async () => {
  ${ENV_REPORT}
  report.inspected = require('node:util').inspect(process.env);
  return report;
};`;

const WRITER_CJS = `
exports.handler = async () => {
  process.env.WRITTEN = 'by-writer';
  process.env.NUMBER = 42;
  delete process.env.NAME;
  return { written: process.env.WRITTEN, number: process.env.NUMBER, name: process.env.NAME ?? null };
};`;

const LOGGER_CJS = `
exports.handler = async () => {
  console.log('hello', { a: 1 });
  console.error('something odd');
  console.warn('careful');
  process.stdout.write('part-');
  process.stdout.write('ial\\nsecond\\n');
  console.log('multi\\nline');
  process.stderr.write(Buffer.from('from a buffer\\n'));
  console.log('x'.repeat(20000));
  process.stdout.write('no newline at the end');
  return 'logged';
};`;

const CRASHER_CJS = `
exports.handler = (event, context, callback) => {
  setTimeout(() => { throw new Error('async crash'); }, 5);
};`;

const REJECTER_ESM = `
export default {
  fetch() {
    Promise.reject(new Error('nobody catches this'));
    return new Response('still fine');
  },
};`;

let worker;

before(async () => {
  worker = await startWorker();
  const res = await worker.specialise([
    fnSpec('alpha', { 'index.mjs': ALPHA_ESM }, { env: { NAME: 'alpha', SHARED: 'a' }, secrets: { TOKEN: 'alpha-secret' } }),
    fnSpec('beta', { 'index.js': BETA_CJS }, { env: { NAME: 'beta' }, secrets: { DB_PASSWORD: 'beta-secret' } }),
    fnSpec('writer', { 'index.js': WRITER_CJS }, { env: { NAME: 'writer' } }),
    fnSpec('logger', { 'index.js': LOGGER_CJS }),
    fnSpec('crasher', { 'index.js': CRASHER_CJS }),
    fnSpec('rejecter', { 'index.mjs': REJECTER_ESM }),
  ]);
  assert.equal(res.status, 200, res.text);
});

after(() => worker.stop());

test('concurrent invocations of two functions each see only their own env and secrets', async () => {
  const calls = [];
  for (let i = 0; i < 40; i++) {
    const name = i % 2 === 0 ? 'alpha' : 'beta';
    calls.push(worker.invoke(name).then((res) => ({ name, report: res.json() })));
  }
  for (const { name, report } of await Promise.all(calls)) {
    assert.equal(report.before, name);
    assert.equal(report.after, name);
    assert.equal(report.hasName, true);
    assert.deepEqual(report.hostVisible, []);
    if (name === 'alpha') {
      const expected = { NAME: 'alpha', SHARED: 'a', TOKEN: 'alpha-secret' };
      assert.deepEqual(report.keys, ['NAME', 'SHARED', 'TOKEN']);
      assert.deepEqual(report.json, expected);
      assert.deepEqual(report.spread, expected);
      assert.deepEqual(report.arg, expected);
      assert.equal(report.argFrozen, true);
    } else {
      assert.deepEqual(report.keys, ['DB_PASSWORD', 'NAME']);
      assert.deepEqual(report.json, { NAME: 'beta', DB_PASSWORD: 'beta-secret' });
      assert.equal(report.inspected, "{ NAME: 'beta', DB_PASSWORD: 'beta-secret' }");
    }
  }
});

test('process.env writes stay with the writing function', async () => {
  const res = await worker.invoke('writer');
  assert.deepEqual(res.json(), { written: 'by-writer', number: '42', name: null });
  const alpha = (await worker.invoke('alpha')).json();
  assert.equal(alpha.written, null);
  assert.equal(alpha.after, 'alpha');
});

test('function output becomes JSON log lines with fn, version, rid and stream', async () => {
  const rid = 'rid-logger';
  const res = await worker.invoke('logger', { rid });
  assert.equal(res.text, 'logged');
  await worker.waitForLine((l) => l.rid === rid && l.line === 'no newline at the end');
  assert.deepEqual([...new Set(worker.logs((l) => l.rid === rid).map((l) => l.v))], [1]);
  const lines = worker.logs((l) => l.rid === rid).map(({ fn, stream, line }) => ({ fn, stream, line }));
  const long = lines.find((l) => l.line.startsWith('xxxx'));
  assert.ok(long.line.endsWith('…[truncated]'));
  assert.equal(Buffer.byteLength(long.line.replace('…[truncated]', '')), 8192);
  assert.deepEqual(lines.filter((l) => l !== long), [
    { fn: 'logger', stream: 'stdout', line: 'hello { a: 1 }' },
    { fn: 'logger', stream: 'stderr', line: 'something odd' },
    { fn: 'logger', stream: 'stderr', line: 'careful' },
    { fn: 'logger', stream: 'stdout', line: 'part-ial' },
    { fn: 'logger', stream: 'stdout', line: 'second' },
    { fn: 'logger', stream: 'stdout', line: 'multi' },
    { fn: 'logger', stream: 'stdout', line: 'line' },
    { fn: 'logger', stream: 'stderr', line: 'from a buffer' },
    { fn: 'logger', stream: 'stdout', line: 'no newline at the end' },
  ]);
});

test('an uncaught exception fails the invocation, is logged, and the worker keeps serving', async () => {
  const started = Date.now();
  const res = await worker.invoke('crasher', { rid: 'rid-crash' });
  assert.ok(Date.now() - started < 1000);
  assert.equal(res.status, 500);
  assert.equal(res.headers['x-tenantry-error'], 'function');
  assert.equal(res.json().message, 'async crash');
  await worker.waitForLine((l) => l.rid === 'rid-crash' && l.fn === 'crasher' && l.line === 'Uncaught exception: Error: async crash');
  assert.equal((await worker.request({ path: '/health' })).status, 200);
  assert.equal(worker.child.exitCode, null);
});

test('an unhandled rejection is logged against the invocation', async () => {
  const res = await worker.invoke('rejecter', { rid: 'rid-reject' });
  assert.equal(res.status, 200);
  assert.equal(res.text, 'still fine');
  await worker.waitForLine((l) => l.rid === 'rid-reject' && l.stream === 'stderr' && l.line === 'Unhandled rejection: Error: nobody catches this');
});

test('every stdout line is JSON and nothing reaches stderr', async () => {
  assert.deepEqual(worker.invalidLines, []);
  assert.equal(worker.stderr, '');
  assert.equal(worker.lines[0].type, 'ready');
  assert.equal(worker.lines[0].pid, worker.child.pid);
});
