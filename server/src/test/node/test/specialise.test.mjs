import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { delay, fnSpec, startWorker, TENANT } from '../support/harness.mjs';

let worker;
let store;

function writeTree(root, files) {
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(root, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
}

// A read-only-store layout: each package version keeps its own dependencies beside it.
function createStore() {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tenantry-store-')));
  writeTree(root, {
    'pkg-a@1.0.0/node_modules/pkg-a/package.json': '{"name":"pkg-a","version":"1.0.0","main":"lib/main.js"}',
    'pkg-a@1.0.0/node_modules/pkg-a/lib/main.js':
      "const dep = require('dep-b');\nmodule.exports = (n) => 'pkg-a(' + dep(n) + ')';\nmodule.exports.where = __filename;\n",
    'pkg-a@1.0.0/node_modules/dep-b/package.json': '{"name":"dep-b","version":"0.3.0"}',
    'pkg-a@1.0.0/node_modules/dep-b/index.js': "module.exports = (n) => 'dep-b:' + n;\n",
    'greeter@2.0.0/node_modules/@acme/greeter/package.json':
      '{"name":"@acme/greeter","version":"2.0.0","type":"module","exports":"./index.js"}',
    'greeter@2.0.0/node_modules/@acme/greeter/index.js': "export const greet = (n) => 'hello ' + n;\n",
  });
  return {
    root,
    modules: {
      'pkg-a': path.join(root, 'pkg-a@1.0.0/node_modules/pkg-a'),
      '@acme/greeter': path.join(root, 'greeter@2.0.0/node_modules/@acme/greeter'),
    },
  };
}

before(async () => {
  store = createStore();
  worker = await startWorker();
});

after(async () => {
  await worker.stop();
  fs.rmSync(store.root, { recursive: true, force: true });
});

test('a fresh worker has no tenant; a malformed specialise body answers 400 and binds nothing', async () => {
  const fresh = (await worker.request({ path: '/health' })).json();
  assert.equal(fresh.tenant, null);
  assert.deepEqual(fresh.functions, []);
  const res = await worker.request({ method: 'POST', path: '/specialise', body: '{not json' });
  assert.equal(res.status, 400);
  assert.equal(res.json().error, 'bad-request');
  assert.equal((await worker.request({ path: '/health' })).json().tenant, null);
});

test('dependencies resolve through symlinked modules (CJS), including their own dependencies', async () => {
  const code = `
const a = require('pkg-a');
let direct;
try { require('dep-b'); direct = 'visible'; } catch { direct = 'not visible'; }
exports.handler = async () => ({ result: a('x'), where: a.where, direct });`;
  const res = await worker.specialise([fnSpec('deps-cjs', { 'index.js': code }, { modules: store.modules })]);
  assert.equal(res.status, 200, res.text);
  const out = (await worker.invoke('deps-cjs')).json();
  assert.equal(out.result, 'pkg-a(dep-b:x)');
  assert.equal(out.where, path.join(store.modules['pkg-a'], 'lib/main.js'));
  assert.equal(out.direct, 'not visible');
});

test('dependencies resolve through symlinked modules (ESM, scoped package)', async () => {
  const code = `
import a from 'pkg-a';
import { greet } from '@acme/greeter';
export default { fetch: () => new Response(a('y') + ' / ' + greet('z')) };`;
  const res = await worker.specialise([fnSpec('deps-esm', { 'index.mjs': code }, { modules: store.modules })]);
  assert.equal(res.status, 200, res.text);
  assert.equal((await worker.invoke('deps-esm')).text, 'pkg-a(dep-b:y) / hello z');
});

test('a CommonJS entry loads from memory as Node loads it: its own files, its modules, its module object', async () => {
  const code = `
const path = require('node:path');
const helper = require('./lib/helper');
const a = require('pkg-a');
exports.handler = async () => ({
  helper: helper.name, a: a('m'), file: path.basename(__filename), dir: path.basename(__dirname),
  cached: require.cache[__filename] === module, id: module.id === __filename, loaded: module.loaded,
  paths: module.paths[0] === path.join(__dirname, 'node_modules'), main: require.main === process.mainModule,
  parent: module.parent.filename === __filename && module.parent.children.includes(module),
});`;
  const files = { 'index.js': code, 'lib/helper.js': "exports.name = 'helper in ' + require('path').basename(__dirname);\n" };
  const res = await worker.specialise([fnSpec('cjs-memory', files, { modules: store.modules })]);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual((await worker.invoke('cjs-memory')).json(), {
    helper: 'helper in lib', a: 'pkg-a(dep-b:m)', file: 'index.js', dir: 'v1',
    cached: true, id: true, loaded: true, paths: true, main: true, parent: true,
  });
});

test('a CommonJS entry in a subdirectory finds what Node would: modules vendored beside it, files above it', async () => {
  const files = {
    'src/handler.js': "const v = require('vendored');\nconst up = require('../lib/up');\n"
      + "exports.handler = async () => [v, up, require('pkg-a')('s'), module.paths[0] === require('path').join(__dirname, 'node_modules')].join(' ');\n",
    'src/node_modules/vendored/index.js': "module.exports = 'vendored';\n",
    'lib/up.js': "module.exports = 'up';\n",
  };
  const res = await worker.specialise([fnSpec('cjs-subdir', files, { entry: 'src/handler.js', modules: store.modules })]);
  assert.equal(res.status, 200, res.text);
  assert.equal((await worker.invoke('cjs-subdir')).text, 'vendored up pkg-a(dep-b:s) true');
});

test('syntax errors answer 422 with message and location, and are logged', async () => {
  const res = await worker.specialise([
    fnSpec('broken-cjs', { 'index.js': 'const ok = 1;\nmodule.exports = {\n  fetch( {\n' }),
    fnSpec('broken-esm', { 'index.mjs': 'export default {\n  fetch() { return 1 +; }\n};\n' }),
  ]);
  assert.equal(res.status, 422);
  const { errors } = res.json();
  assert.deepEqual(errors.map((e) => [e.name, e.version]), [['broken-cjs', 1], ['broken-esm', 1]]);
  assert.match(errors[0].message, /^Unexpected end of input \(index\.js:\d+\)$/);
  assert.match(errors[1].message, /^Unexpected token ';' \(index\.mjs:2\)$/);
  for (const e of errors) assert.ok(!e.message.includes(os.tmpdir()), e.message);

  const logged = await worker.waitForLine(
    (l) => l.fn === 'broken-cjs' && l.rid === 'init' && l.line.startsWith('SyntaxError'),
  );
  assert.equal(logged.stream, 'stderr');
  await worker.waitForLine((l) => l.fn === 'broken-esm' && l.rid === 'init' && l.line.startsWith('load failed: Unexpected token'));
  const stackLines = worker.logs((l) => l.fn === 'broken-cjs' || l.fn === 'broken-esm');
  for (const l of stackLines) assert.ok(!l.line.includes(worker.dir), l.line);
});

test('ES modules load alike from memory (built-in imports only) and through Node\'s loader', async () => {
  const inMemory = "import { createHash } from 'node:crypto';\nimport path from 'path';\n"
    + 'const started = await Promise.resolve(path.basename(import.meta.filename));\n'
    + "export default { fetch() { return new Response([createHash('sha1').update('x').digest('hex').slice(0, 6), started, import.meta.url.startsWith('file:///'), path.basename(import.meta.dirname)].join(' ')); } };\n";
  const viaLoader = "import { tail } from './tail.mjs';\nexport default { fetch() { return new Response('loader ' + tail + ' ' + path().slice(-9)); } };\n"
    + "function path() { return new URL(import.meta.url).pathname; }\n";
  const dynamic = "export default { async fetch() { const { sep } = await import('node:path'); return new Response('dynamic ' + sep); } };\n";
  const res = await worker.specialise([
    fnSpec('esm-memory', { 'index.mjs': inMemory }),
    fnSpec('esm-loader', { 'index.mjs': viaLoader, 'tail.mjs': "export const tail = 'tail';\n" }),
    fnSpec('esm-dynamic', { 'index.mjs': dynamic }),
  ]);
  assert.equal(res.status, 200, res.text);
  assert.equal((await worker.invoke('esm-memory')).text, '11f6ad index.mjs true v1');
  assert.equal((await worker.invoke('esm-loader')).text, 'loader tail index.mjs');
  assert.equal((await worker.invoke('esm-dynamic')).text, 'dynamic /');
});

test('an ES module that throws at load time answers 422 with its location, from memory too', async () => {
  const res = await worker.specialise([fnSpec('esm-throws', { 'index.mjs': "import 'node:os';\nconst x = 1;\nthrow new Error('esm init failed');\n" })]);
  assert.equal(res.status, 422);
  assert.deepEqual(res.json().errors, [{ name: 'esm-throws', version: 1, message: 'esm init failed (index.mjs:3:7)' }]);
});

// The host sends a tenant's first request right behind the load, on the same connection.
function pipelined(socketPath, requests) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath, () => socket.write(requests.join(''))); // the last asks to close
    let text = '';
    socket.on('data', (chunk) => { text += chunk; });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

function specialiseRequest(specs) {
  const body = JSON.stringify({ tenant: TENANT, functions: specs });
  return `POST /specialise HTTP/1.1\r\nhost: worker\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function invokeRequest(name) { // the last request of a pipelined() exchange: it asks to close
  return `GET /invoke/${name} HTTP/1.1\r\nhost: worker\r\nconnection: close\r\n\r\n`;
}

test('a request sent right behind its function\'s load waits for the load, and hears of a failed one', async () => {
  const v1 = await worker.specialise([fnSpec('behind', { 'index.mjs': "export default { fetch() { return new Response('behind v1'); } };\n" })]);
  assert.equal(v1.status, 200, v1.text);
  const good = await pipelined(worker.socketPath, [
    specialiseRequest([fnSpec('behind', { 'index.mjs': "export default { fetch() { return new Response('behind v2'); } };\n" }, { version: 2 })]),
    invokeRequest('behind@2'),
  ]);
  assert.match(good, /^HTTP\/1.1 200 OK[\s\S]*"loaded":\[\{"name":"behind","version":2[\s\S]*HTTP\/1.1 200 OK[\s\S]*behind v2$/);

  const bad = await pipelined(worker.socketPath, [
    specialiseRequest([fnSpec('behind-broken', { 'index.mjs': 'export default {\n' })]),
    invokeRequest('behind-broken@1'),
  ]);
  assert.match(bad, /^HTTP\/1.1 422 [\s\S]*HTTP\/1.1 404 [\s\S]*x-tenantry-error: not-loaded/);
  assert.equal((await worker.invoke('behind')).text, 'behind v2');
  assert.equal((await worker.request({ path: '/invoke/behind@1' })).status, 404); // an older version is gone
});

test('a function reads its own files while it loads and on its first call, sent right behind the load', async () => {
  const data = { 'data.txt': 'from disk' };
  const esm = "import { readFileSync } from 'node:fs';\nconst read = () => readFileSync(new URL('./data.txt', import.meta.url), 'utf8');\n"
    + "const atLoad = read();\nexport default { fetch() { return new Response(atLoad + ' / ' + read()); } };\n";
  const cjs = "const fs = require('fs');\nconst read = () => fs.readFileSync(__dirname + '/data.txt', 'utf8');\n"
    + 'const atLoad = read();\nexports.handler = async () => atLoad + \' / \' + read();\n';
  const viaProcess = "const read = () => process.getBuiltinModule('fs').readFileSync(new URL('./data.txt', import.meta.url), 'utf8');\n"
    + "const atLoad = read();\nexport default { fetch() { return new Response(atLoad + ' / ' + read()); } };\n";
  const specs = [fnSpec('reads-esm', { 'index.mjs': esm, ...data }), fnSpec('reads-cjs', { 'index.js': cjs, ...data })];
  if (typeof process.getBuiltinModule === 'function') specs.push(fnSpec('reads-process', { 'index.mjs': viaProcess, ...data }));
  for (const spec of specs) {
    const answers = await pipelined(worker.socketPath, [specialiseRequest([spec]), invokeRequest(`${spec.name}@1`)]);
    assert.match(answers, /^HTTP\/1.1 200 OK[\s\S]*HTTP\/1.1 200 OK[\s\S]*\r\n\r\nfrom disk \/ from disk$/, spec.name);
  }
});

test('the files of a function loaded from memory are written soon after its first call', async () => {
  const code = 'export default { async fetch(request, env, ctx) { return new Response("ok") } }';
  const answers = await pipelined(worker.socketPath, [specialiseRequest([fnSpec('written-after', { 'index.js': code })]), invokeRequest('written-after@1')]);
  assert.match(answers, /^HTTP\/1.1 200 OK[\s\S]*HTTP\/1.1 200 OK[\s\S]*\r\n\r\nok$/);
  const dir = path.join(worker.dir, 'fn', 'written-after', 'v1');
  for (let waited = 0; !fs.existsSync(path.join(dir, 'package.json')) && waited < 2000; waited += 10) await delay(10);
  assert.equal(fs.readFileSync(path.join(dir, 'index.js'), 'utf8'), code);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')), { type: 'module' });
});

test('functions do not get the bootstrap\'s garbage collector', async () => {
  const res = await worker.specialise([fnSpec('no-gc', { 'index.js': 'exports.handler = async () => typeof gc + " " + typeof globalThis.gc;' })]);
  assert.equal(res.status, 200, res.text);
  assert.equal((await worker.invoke('no-gc')).text, 'undefined undefined');
});

test('a throw at import time answers 422 with its location', async () => {
  const res = await worker.specialise([fnSpec('init-throws', { 'index.js': 'const x = 1;\nthrow new Error("init failed");\n' })]);
  assert.equal(res.status, 422);
  assert.deepEqual(res.json().errors, [{ name: 'init-throws', version: 1, message: 'init failed (index.js:2:7)' }]);
});

test('a module without a handler answers 422', async () => {
  const res = await worker.specialise([fnSpec('no-handler', { 'index.js': 'exports.somethingElse = 1;' })]);
  assert.equal(res.status, 422);
  assert.equal(res.json().errors[0].message, 'no handler: export default { fetch } or exports.handler');
});

test('good functions still load when a sibling fails', async () => {
  const res = await worker.specialise([
    fnSpec('sibling-ok', { 'index.js': 'exports.handler = async () => "fine";' }),
    fnSpec('sibling-bad', { 'index.js': 'exports.handler = ;' }),
  ]);
  assert.equal(res.status, 422);
  const body = res.json();
  assert.deepEqual(body.loaded, [{ name: 'sibling-ok', version: 1, contract: 'lambda' }]);
  assert.equal(body.errors[0].name, 'sibling-bad');
  assert.equal((await worker.invoke('sibling-ok')).text, 'fine');
});

test('path traversal and absolute paths in files answer 422 and write nothing', async () => {
  for (const bad of ['../escape.js', '/etc/abs.js', 'lib/../../escape.js', '..\\escape.js']) {
    const spec = fnSpec('traversal', { 'index.js': 'exports.handler = async () => 1;', [bad]: 'pwned' }, { entry: 'index.js' });
    const res = await worker.specialise([spec]);
    assert.equal(res.status, 422, bad);
    assert.match(res.json().errors[0].message, /invalid file path/);
  }
  const res = await worker.specialise([fnSpec('traversal', { 'index.js': 'exports.handler = async () => 1;' }, { entry: '../index.js' })]);
  assert.equal(res.status, 422);
  assert.equal(fs.existsSync(path.join(worker.dir, 'fn', 'escape.js')), false);
  assert.equal(fs.existsSync(path.join(worker.dir, 'fn', 'traversal')), false);
});

test('module-level logs carry rid "init" and see the function env', async () => {
  const code = 'console.log("loading with", process.env.MODE);\nexports.handler = async () => "ok";';
  const res = await worker.specialise([fnSpec('init-logs', { 'index.js': code }, { env: { MODE: 'warm' } })]);
  assert.equal(res.status, 200, res.text);
  const line = await worker.waitForLine((l) => l.fn === 'init-logs' && l.rid === 'init');
  assert.equal(line.line, 'loading with warm');
  assert.equal(line.stream, 'stdout');
});

test('a new version replaces the old one', async () => {
  const v1 = 'export default { fetch: () => new Response("version one") };';
  const v2 = 'export default { fetch: () => new Response("version two") };';
  assert.equal((await worker.specialise([fnSpec('versioned', { 'index.js': v1 }, { version: 1 })])).status, 200);
  assert.equal((await worker.invoke('versioned')).text, 'version one');
  const res = await worker.specialise([fnSpec('versioned', { 'index.js': v2 }, { version: 2 })]);
  assert.deepEqual(res.json(), { loaded: [{ name: 'versioned', version: 2, contract: 'fetch' }] });
  assert.equal((await worker.invoke('versioned')).text, 'version two');
  const health = (await worker.request({ path: '/health' })).json();
  assert.deepEqual(health.functions.filter((f) => f.name === 'versioned'), [{ name: 'versioned', version: 2, contract: 'fetch' }]);
});

test('re-specialising the same version loads the new code (ESM and CJS)', async () => {
  for (const [file, make] of [
    ['index.mjs', (s) => `export default { fetch: () => new Response(${JSON.stringify(s)}) };`],
    ['index.cjs', (s) => `exports.handler = async () => ${JSON.stringify(s)};`],
  ]) {
    const name = 'same-' + file.replace('.', '-');
    assert.equal((await worker.specialise([fnSpec(name, { [file]: make('first') })])).status, 200);
    assert.equal((await worker.invoke(name)).text, 'first');
    assert.equal((await worker.specialise([fnSpec(name, { [file]: make('second') })])).status, 200);
    assert.equal((await worker.invoke(name)).text, 'second');
  }
});

test('another tenant is refused with 409; the bound tenant may keep adding functions', async () => {
  const other = { id: '00000000-0000-4000-8000-000000000000', slug: 'other' };
  const res = await worker.specialise([fnSpec('intruder', { 'index.js': 'exports.handler = async () => 1;' })], other);
  assert.equal(res.status, 409);
  assert.deepEqual(res.json(), { error: 'tenant-mismatch' });
  assert.equal((await worker.invoke('intruder')).status, 404);
  const again = await worker.specialise([fnSpec('late', { 'index.js': 'exports.handler = async () => 1;' })], TENANT);
  assert.equal(again.status, 200);
});
