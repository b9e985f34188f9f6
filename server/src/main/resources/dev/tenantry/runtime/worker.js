'use strict';
// Tenantry worker bootstrap: a pre-warmed generic Node.js worker that is bound to one
// tenant by POST /specialise and then serves that tenant's functions on a Unix socket.

const http = require('node:http');
const net = require('node:net');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { randomUUID } = require('node:crypto');
const { execFile } = require('node:child_process');
const Module = require('node:module');
const { createRequire, isBuiltin } = Module;
const v8 = require('node:v8');
const vm = require('node:vm');
const { pathToFileURL } = require('node:url');
const { AsyncLocalStorage } = require('node:async_hooks');
const { Writable } = require('node:stream');

// Empties the young generation before the worker says it is ready (see start). The collector is
// taken from a throw-away context, so neither this one, where tenants' code runs, nor later ones have it.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc');
v8.setFlagsFromString('--no-expose-gc');

// Read everything we need from the real environment before process.env is replaced.
const SOCKET_PATH = process.env.TENANTRY_SOCKET;
const FN_ROOT = path.join(fs.realpathSync(os.tmpdir()), 'fn');
// The warm-up's functions live apart from tenants' (see warmUp).
const WARM_UP_ROOT = path.join(fs.realpathSync(os.tmpdir()), 'warm-up');
let functionRoot = FN_ROOT;

const MAX_LINE_BYTES = 8192;
const TRUNCATION_MARKER = '…[truncated]';
const NO_HANDLER = 'no handler: export default { fetch } or exports.handler';
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MODULE_NAME_RE = /^(?:@[\w-][\w.-]*\/)?[\w-][\w.-]*$/;
const ESM_SYNTAX_RE =
  /^[ \t]*(?:import[ \t]*[{*'"]|import[ \t]+[\w$]|export[ \t]*[{*]|export[ \t]+(?:default|const|let|var|function|class|async)\b)/m;
const TEXTUAL_RE = /^text\/|json|xml|x-www-form-urlencoded|javascript/i;
const HOST_PATH_RE = new RegExp(`(?:file://)?${escapeRegExp(FN_ROOT)}/[^/\\s]+/v\\d+/`, 'g');
const RELOAD_QUERY_RE = /\?reload=\d+(?=:\d)/g;
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding']);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const NOT_FOUND_BODY = '{"error":"not-found"}';
const NOT_LOADED_BODY = '{"error":"not-loaded"}';
const NOT_LOADED_HEADERS = [
  'content-type', 'application/json',
  'content-length', String(NOT_LOADED_BODY.length),
  'x-tenantry-error', 'not-loaded',
];
const FUNCTION_ERROR_HEADER = ['x-tenantry-error', 'function'];

const als = new AsyncLocalStorage();
const functions = new Map();
const loadedDirs = new Set();
let tenant = null;
let reloadCounter = 0;

// ---------------------------------------------------------------------------
// Log capture: function output becomes JSON lines on the real stdout.

const realStdoutWrite = process.stdout.write.bind(process.stdout);
const NO_ENV = Object.freeze(Object.create(null));
// Scope used for writes that happen outside any function context.
const OUTSIDE = { fn: null, rid: null, env: NO_ENV, out: '', err: '', abort: undefined };

function emit(record) {
  realStdoutWrite(JSON.stringify(record) + '\n');
}

function workerError(message) {
  emit({ type: 'worker', level: 'error', message });
}

function clampLine(line) {
  // A UTF-16 code unit never needs more than 3 UTF-8 bytes, so short lines skip the byte count.
  if (line.length * 3 <= MAX_LINE_BYTES || Buffer.byteLength(line) <= MAX_LINE_BYTES) return line;
  const cut = Buffer.from(line).subarray(0, MAX_LINE_BYTES).toString().replace(/\uFFFD$/, '');
  return cut + TRUNCATION_MARKER;
}

function emitLine(scope, stream, line) {
  emit({ type: 'log', fn: scope.fn, v: scope.v, rid: scope.rid, stream, line: clampLine(line) });
}

function appendLog(scope, stream, key, text) {
  if (scope[key] !== '') text = scope[key] + text;
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    emitLine(scope, stream, text.slice(start, end));
    start = nl + 1;
  }
  let rest = start === 0 ? text : text.slice(start);
  if (rest.length > MAX_LINE_BYTES) {
    emitLine(scope, stream, rest);
    rest = '';
  }
  scope[key] = rest;
}

function flushLogs(scope) {
  if (scope.out !== '') emitLine(scope, 'stdout', scope.out);
  if (scope.err !== '') emitLine(scope, 'stderr', scope.err);
  scope.out = '';
  scope.err = '';
}

function chunkToString(chunk, encoding) {
  if (typeof chunk === 'string') {
    return encoding && encoding !== 'utf8' && encoding !== 'utf-8' ? Buffer.from(chunk, encoding).toString() : chunk;
  }
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString();
  return String(chunk);
}

function captureWrites(stream, key) {
  return function write(chunk, encoding, callback) {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    appendLog(als.getStore() ?? OUTSIDE, stream, key, chunkToString(chunk, encoding));
    if (typeof callback === 'function') process.nextTick(callback);
    return true;
  };
}

function sanitize(text) {
  return text.replace(HOST_PATH_RE, '').replace(RELOAD_QUERY_RE, '');
}

function stackOf(err) {
  if (err instanceof Error) return err.stack || String(err);
  return util.inspect(err);
}

function messageOf(err) {
  if (err !== null && typeof err === 'object' && typeof err.message === 'string') return sanitize(err.message);
  return sanitize(String(err));
}

function logError(scope, err, prefix = '') {
  flushLogs(scope);
  for (const line of sanitize(prefix + stackOf(err)).split('\n')) {
    // Frames of this bootstrap say nothing useful to the function's author.
    if (!line.includes(__filename)) emitLine(scope, 'stderr', line);
  }
}

// ---------------------------------------------------------------------------
// process.env: shows the current function's vars + secrets, empty outside functions.

function currentEnv() {
  return (als.getStore() ?? OUTSIDE).env;
}

const envHandler = {
  get(_target, key) {
    const env = currentEnv();
    return key in env ? env[key] : Object.prototype[key];
  },
  set(_target, key, value) {
    const env = currentEnv();
    if (env !== NO_ENV) env[key] = String(value);
    return true;
  },
  has(_target, key) {
    return key in currentEnv();
  },
  deleteProperty(_target, key) {
    const env = currentEnv();
    if (env !== NO_ENV) delete env[key];
    return true;
  },
  defineProperty(_target, key, descriptor) {
    const env = currentEnv();
    if (env !== NO_ENV) env[key] = String(descriptor.value);
    return true;
  },
  ownKeys() {
    return Reflect.ownKeys(currentEnv());
  },
  getOwnPropertyDescriptor(_target, key) {
    const env = currentEnv();
    if (!(key in env)) return undefined;
    return { value: env[key], writable: true, enumerable: true, configurable: true };
  },
};

// util.inspect looks at a proxy's target, not its traps, so the target renders the live view.
const envTarget = Object.create({
  [util.inspect.custom]() {
    return { ...currentEnv() };
  },
});

function installProcessHooks() {
  silenceVmModulesWarning();
  // Where undici's Response state cannot be found (another Node), functions get undici's Response as it is.
  if (kResponseState !== undefined) {
    Object.defineProperty(globalThis, 'Response', { value: Response, writable: true, configurable: true, enumerable: false });
  }
  Object.defineProperty(globalThis, 'awslambda', {
    value: Object.freeze({ streamifyResponse, HttpResponseStream }), writable: true, configurable: true, enumerable: false,
  });
  process.env = new Proxy(envTarget, envHandler);
  process.stdout.write = captureWrites('stdout', 'out');
  process.stderr.write = captureWrites('stderr', 'err');
  process.on('uncaughtException', (err) => reportStray(err, 'Uncaught exception: ', true));
  process.on('unhandledRejection', (reason) => reportStray(reason, 'Unhandled rejection: ', false));
}

// The host starts Node with --experimental-vm-modules for importEsmInMemory; Node's one-time notice
// about it would otherwise reach the host as a line of output from every worker.
function silenceVmModulesWarning() {
  const emitWarning = process.emitWarning;
  process.emitWarning = function filteredEmitWarning(warning, ...rest) {
    const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
    if (type === 'ExperimentalWarning' && String(warning).startsWith('VM Modules')) return;
    return emitWarning.call(process, warning, ...rest);
  };
}

function reportStray(err, prefix, abortInvocation) {
  const scope = als.getStore();
  if (scope === undefined) {
    workerError(prefix + sanitize(stackOf(err)));
    return;
  }
  logError(scope, err, prefix);
  // A callback-style or timer-driven handler would otherwise hang until the host's timeout.
  if (abortInvocation && scope.abort !== undefined) scope.abort(err);
}

// ---------------------------------------------------------------------------
// HTTP plumbing

function sendJson(res, status, value, extraHeaders) {
  const body = typeof value === 'string' ? value : JSON.stringify(value);
  const headers = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))];
  if (extraHeaders !== undefined) headers.push(...extraHeaders);
  res.writeHead(status, headers);
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function waitForDrain(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function onRequest(req, res) {
  const url = req.url;
  if (url.startsWith('/invoke/')) return invoke(req, res, url);
  if (url === '/health' && req.method === 'GET') return health(res);
  if (url === '/specialise' && req.method === 'POST') return specialise(req, res);
  sendJson(res, 404, NOT_FOUND_BODY);
}

function health(res) {
  const list = [];
  for (const fn of functions.values()) list.push({ name: fn.name, version: fn.version, contract: fn.contract });
  sendJson(res, 200, { tenant: tenant && tenant.id, functions: list, rss: process.memoryUsage.rss() });
}

// ---------------------------------------------------------------------------
// Specialise: bind the tenant, materialise and load functions.

let specialiseQueue = Promise.resolve();
// The /specialise calls in progress. The host sends a tenant's first request right behind the load
// of its function, on the same connection: a request for a version that is not (yet) loaded waits
// for them before it is refused.
const specialising = new Set();

function specialise(req, res) {
  const call = handleSpecialise(req, res);
  specialising.add(call);
  call.finally(() => specialising.delete(call));
}

async function handleSpecialise(req, res) {
  let body;
  try {
    body = JSON.parse((await readBody(req)).toString());
  } catch {
    return sendJson(res, 400, { error: 'bad-request', message: 'body must be JSON' });
  }
  const t = body && body.tenant;
  if (!t || typeof t.id !== 'string' || t.id === '' || typeof t.slug !== 'string' || !Array.isArray(body.functions)) {
    return sendJson(res, 400, {
      error: 'bad-request',
      message: 'expected {"tenant":{"id","slug"},"functions":[...]}',
    });
  }
  if (tenant !== null && tenant.id !== t.id) return sendJson(res, 409, { error: 'tenant-mismatch' });
  // Bound before anything is loaded: once tenant code may have run, the worker is that tenant's.
  if (tenant === null) tenant = { id: t.id, slug: t.slug };

  // Serialised so two overlapping calls cannot write the same function directory at once.
  const run = specialiseQueue.then(() => loadAll(body.functions));
  specialiseQueue = run.catch(() => {});
  try {
    const { loaded, errors } = await run;
    if (errors.length > 0) return sendJson(res, 422, { errors, loaded });
    sendJson(res, 200, { loaded });
  } catch (err) {
    workerError('specialise failed: ' + sanitize(stackOf(err)));
    sendJson(res, 500, { error: 'internal', message: messageOf(err) });
  }
}

async function loadAll(specs) {
  const errors = [];
  for (const spec of specs) {
    const problem = validateSpec(spec);
    if (problem !== null) errors.push(loadError(spec, problem));
  }
  if (errors.length > 0) return { loaded: [], errors };

  const loaded = [];
  for (const spec of specs) {
    const outcome = await loadFunction(spec);
    if (outcome.error !== undefined) {
      errors.push(loadError(spec, outcome.error));
      continue;
    }
    const fn = outcome.record;
    functions.set(fn.name, fn);
    loaded.push({ name: fn.name, version: fn.version, contract: fn.contract });
  }
  return { loaded, errors };
}

function loadError(spec, message) {
  const s = spec !== null && typeof spec === 'object' ? spec : {};
  return { name: typeof s.name === 'string' ? s.name : null, version: s.version ?? null, message };
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isSafeRelativePath(p) {
  if (typeof p !== 'string' || p === '' || p.includes('\0')) return false;
  if (p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p)) return false;
  return !p.split(/[\\/]/).includes('..');
}

function validateSpec(spec) {
  if (!isPlainObject(spec)) return 'function spec must be an object';
  if (typeof spec.name !== 'string' || !NAME_RE.test(spec.name)) return `invalid function name ${JSON.stringify(spec.name)}`;
  if (!Number.isSafeInteger(spec.version) || spec.version < 0) return 'version must be a non-negative integer';
  if (!isPlainObject(spec.files)) return 'files must be an object of base64 strings';
  for (const [file, content] of Object.entries(spec.files)) {
    if (!isSafeRelativePath(file)) return `invalid file path ${JSON.stringify(file)}: must be relative and must not contain ".."`;
    if (typeof content !== 'string') return `file ${JSON.stringify(file)} must be a base64 string`;
  }
  if (!isSafeRelativePath(spec.entry)) return `invalid entry ${JSON.stringify(spec.entry)}`;
  if (!Object.hasOwn(spec.files, spec.entry)) return `entry ${JSON.stringify(spec.entry)} is not among the files`;
  if (spec.modules !== undefined) {
    if (!isPlainObject(spec.modules)) return 'modules must be an object';
    for (const [name, target] of Object.entries(spec.modules)) {
      if (!MODULE_NAME_RE.test(name)) return `invalid module name ${JSON.stringify(name)}`;
      if (typeof target !== 'string' || !path.isAbsolute(target)) return `module ${name} must map to an absolute path`;
    }
  }
  for (const key of ['env', 'secrets']) {
    if (spec[key] !== undefined && spec[key] !== null && !isPlainObject(spec[key])) return `${key} must be an object`;
  }
  return null;
}

async function loadFunction(spec) {
  const dir = path.join(functionRoot, spec.name, 'v' + spec.version);
  const reload = loadedDirs.has(dir);
  loadedDirs.add(dir);
  const source = Buffer.from(spec.files[spec.entry], 'base64').toString();
  const format = moduleFormat(spec, source);
  writeDeferredFiles(); // an earlier load's, which may be this directory's
  const write = () => writeFunction(dir, spec, format, reload);
  if (mayReachFiles(format, source)) write();
  else deferWrite(write, spec);

  const fn = createRecord(spec, dir);
  const scope = { fn: fn.name, v: fn.version, rid: 'init', env: fn.processEnv, out: '', err: '', abort: undefined };
  const file = path.join(dir, spec.entry);
  try {
    const exported = await als.run(scope, format.esm ? importEsm : requireCjs, file, dir, reload, source, format);
    bindContract(fn, exported, format.esm);
    return { record: fn };
  } catch (err) {
    logError(scope, err);
    writeDeferredFiles(); // locating a syntax error reads them
    const message = await loadErrorMessage(err, dir, spec);
    emitLine(scope, 'stderr', `load failed: ${message}`);
    return { error: message };
  } finally {
    flushLogs(scope);
  }
}

// Synchronous on purpose: a handful of small files on the sandbox's tmpfs take microseconds, while
// each promise-based call waits for a thread-pool round trip (a cold start pays for them).
function writeFunction(dir, spec, format, reload) {
  if (reload) fs.rmSync(dir, { recursive: true, force: true }); // only a directory written before can exist
  writeFiles(dir, spec.files);
  linkModules(dir, spec.modules || {});
  pinModuleFormat(dir, format);
}

// A function whose code cannot reach the file system nor Node's loader (see mayReachFiles) is
// loaded from memory before its files exist, and they are written a little later, once the cold
// start's answer is out and the host's next request most likely answered too (written right
// after the answer, they held up that next request). Anything that may read them sooner (Node's
// loader, a failed load, the next load, which may replace them) writes them at once.
const DEFERRED_WRITE_DELAY_MS = 50;
let pendingWrites = [];
let writeTimer = null;

function deferWrite(write, spec) {
  pendingWrites.push({ write, name: spec.name, version: spec.version });
  writeTimer ??= setTimeout(() => {
    writeTimer = null;
    writeDeferredFiles();
  }, DEFERRED_WRITE_DELAY_MS);
}

// For the load in progress, whose own files (the only ones that can be pending then) are about to
// be read: a failure fails the load.
function writePendingFiles() {
  const writes = pendingWrites;
  pendingWrites = [];
  for (const { write } of writes) write();
}

function writeDeferredFiles() {
  const writes = pendingWrites;
  pendingWrites = [];
  for (const { write, name, version } of writes) {
    try {
      write();
    } catch (err) {
      workerError(`the files of ${name} version ${version} could not be written: ${sanitize(messageOf(err))}`);
    }
  }
}

// What code must not name for its files to be written after its load: process (process.env is
// fine), require, module (module.exports is fine), arguments (the CommonJS wrapper's, which hold
// require and module), globalThis, global, eval, Function, constructor (all ways back to process or
// to new code), import(). ES modules must also import only FILE_FREE_BUILTINS (see
// importEsmInMemory). Code that spells these names out of strings to get at its own files only
// finds them a moment later.
const REACHES_FILES_RE = /\b(?:process|require|module|arguments|globalThis|global|eval|Function|constructor)\b|\bimport\s*\(/;
const ALLOWED_NAMES_RE = /\bprocess\s*\.\s*env\b|\bmodule\s*\.\s*exports\b/g;
// Built-ins that offer no way to the file system, nor to process.
const FILE_FREE_BUILTINS = new Set(['assert', 'assert/strict', 'buffer', 'crypto', 'dns', 'dns/promises', 'events',
  'http', 'http2', 'https', 'net', 'os', 'path', 'path/posix', 'path/win32', 'perf_hooks', 'punycode', 'querystring',
  'stream', 'stream/consumers', 'stream/promises', 'stream/web', 'string_decoder', 'timers', 'timers/promises', 'tls',
  'url', 'util', 'util/types', 'zlib']);

function mayReachFiles(format, source) {
  if (!format.esm && !format.commonjs) return true; // loaded by Node's loader
  return REACHES_FILES_RE.test(source.replace(ALLOWED_NAMES_RE, ''));
}

function isFileFree(specifier) {
  return FILE_FREE_BUILTINS.has(specifier.startsWith('node:') ? specifier.slice(5) : specifier);
}

function writeFiles(dir, files) {
  const made = new Set();
  for (const [name, content] of Object.entries(files)) {
    const target = path.resolve(dir, name);
    if (!target.startsWith(dir + path.sep)) throw new Error(`file path escapes the function directory: ${name}`);
    const parent = path.dirname(target);
    if (!made.has(parent)) {
      fs.mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    fs.writeFileSync(target, Buffer.from(content, 'base64'));
  }
}

function linkModules(dir, modules) {
  const nodeModules = path.join(dir, 'node_modules');
  for (const [name, target] of Object.entries(modules)) {
    const link = path.join(nodeModules, name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(target, link, 'dir');
  }
}

// Decides ESM vs CJS, and what package.json must say so that Node's own per-file decision agrees
// (and so that Node does not look for a package.json above the function directory).
function moduleFormat(spec, source) {
  const entry = spec.entry;
  const hasPkg = Object.hasOwn(spec.files, 'package.json');
  let pkg = null;
  if (hasPkg) {
    try {
      pkg = JSON.parse(Buffer.from(spec.files['package.json'], 'base64').toString());
    } catch {
      pkg = null;
    }
  }
  const type = isPlainObject(pkg) ? pkg.type : undefined;
  let esm;
  if (entry.endsWith('.mjs')) esm = true;
  else if (entry.endsWith('.cjs')) esm = false;
  else if (type === 'module') esm = true;
  else if (type === 'commonjs') esm = false;
  else esm = ESM_SYNTAX_RE.test(source);

  const isPlainJs = !entry.endsWith('.mjs') && !entry.endsWith('.cjs');
  let writePkg = null;
  if (!hasPkg) writePkg = { type: esm && isPlainJs ? 'module' : 'commonjs' };
  else if (esm && isPlainJs && isPlainObject(pkg) && type === undefined) writePkg = { ...pkg, type: 'module' };
  // The type Node gives a CommonJS entry: what it reads from package.json for a .js file.
  const declared = writePkg !== null ? writePkg.type : type;
  const commonjs = !esm && (entry.endsWith('.cjs') || (entry.endsWith('.js') && declared === 'commonjs'));
  return { esm, commonjs, pkg: writePkg };
}

function pinModuleFormat(dir, format) {
  if (format.pkg !== null) fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(format.pkg));
}

async function importEsm(file, _dir, reload, source) {
  const inMemory = await importEsmInMemory(file, source);
  if (inMemory !== null) return inMemory;
  writePendingFiles();
  // ESM modules are cached by URL for the life of the process: a query makes a reload fresh.
  const url = pathToFileURL(file).href + (reload ? `?reload=${++reloadCounter}` : '');
  return import(url);
}

// An entry module whose only static imports are Node's built-ins (the usual webhook: one file using
// fetch, Response and node:crypto) is compiled from the deployed source, which is in memory already:
// Node's loader would read the file back through four thread-pool round trips, each a wake-up of
// another thread, which on a busy machine is most of a cold start. Anything that needs Node's own
// resolution (packages, the function's other files, import(), import.meta.resolve) or that does not
// compile goes through Node's loader, which also words syntax errors as users know them.
const NEEDS_LOADER_RE = /\bimport\s*\(|import\.meta\.resolve/;
const builtinModules = new Map();

async function importEsmInMemory(file, source) {
  if (typeof vm.SourceTextModule !== 'function' || NEEDS_LOADER_RE.test(source)) return null;
  const url = fileUrl(file);
  let module;
  try {
    module = new vm.SourceTextModule(source, {
      identifier: url,
      initializeImportMeta(meta) {
        meta.url = url;
        meta.filename = file;
        meta.dirname = path.dirname(file);
      },
    });
  } catch {
    return null;
  }
  if (!module.dependencySpecifiers.every((specifier) => isBuiltin(specifier))) return null;
  if (!module.dependencySpecifiers.every(isFileFree)) writePendingFiles();
  await module.link(builtinModule);
  await module.evaluate();
  return module.namespace;
}

// pathToFileURL(file).href for an absolute, normalised path (as path.join makes it), without a URL
// parse when no character of it needs escaping.
const PLAIN_PATH_RE = /^[A-Za-z0-9_.\-/]+$/;

function fileUrl(file) {
  return PLAIN_PATH_RE.test(file) ? 'file://' + file : pathToFileURL(file).href;
}

async function builtinModule(specifier) {
  let module = builtinModules.get(specifier);
  if (module === undefined) {
    const namespace = await import(specifier);
    const names = Object.keys(namespace);
    module = new vm.SyntheticModule(names, function exportAll() {
      for (const name of names) this.setExport(name, namespace[name]);
    }, { identifier: specifier });
    builtinModules.set(specifier, module);
  }
  return module;
}

// A CommonJS entry that Node would load as CommonJS is compiled from the deployed source as Node's
// loader would (Module#_compile: the same wrapper, require, module and cache), without reading the
// file back; its own require() calls go through Node's loader as usual.
function requireCjs(file, dir, reload, source, format) {
  if (reload) {
    for (const key of Object.keys(require.cache)) {
      if (key.startsWith(dir + path.sep)) delete require.cache[key];
    }
  }
  if (!format.commonjs) return createRequire(file)(file);
  // Its parent is what createRequire(file) would have required it from (code that tests
  // module.parent, as "run directly?" checks do, sees what it saw before).
  const entry = new Module(file, requirer(file));
  entry.filename = file;
  entry.paths = Module._nodeModulePaths(path.dirname(file));
  require.cache[file] = entry;
  try {
    entry._compile(source, file, 'commonjs');
  } catch (err) {
    delete require.cache[file];
    throw err;
  }
  entry.loaded = true;
  return entry.exports;
}

function requirer(file) {
  const parent = new Module(file);
  parent.filename = file;
  parent.paths = Module._nodeModulePaths(path.dirname(file));
  return parent;
}

function bindContract(fn, exported, esm) {
  const main = esm ? exported.default : exported;
  let target = null;
  if (main != null && typeof main.fetch === 'function') target = main;
  else if (!esm && main != null && main.default != null && typeof main.default.fetch === 'function') target = main.default;
  if (target !== null) {
    fn.contract = 'fetch';
    fn.target = target;
    return;
  }
  const handler = exported != null ? exported.handler : undefined;
  if (typeof handler !== 'function') throw new Error(NO_HANDLER);
  fn.contract = 'lambda';
  fn.handler = handler;
  fn.streaming = handler[HANDLER_STREAMING] === 'response';
}

async function loadErrorMessage(err, dir, spec) {
  const firstLine = messageOf(err).split('\n')[0];
  let location = findLocation(err, dir);
  if (location === null && err instanceof SyntaxError) location = await locateSyntaxError(dir, spec);
  return location === null || firstLine.includes(location) ? firstLine : `${firstLine} (${location})`;
}

// Node 20 keeps the position of an ES module syntax error out of the error object,
// but `node --check` prints it. Only runs on the failure path.
async function locateSyntaxError(dir, spec) {
  const sources = Object.keys(spec.files).filter((f) => /\.[cm]?js$/.test(f) && f !== spec.entry);
  for (const file of [spec.entry, ...sources].slice(0, 25)) {
    const full = path.join(dir, file);
    const stderr = await new Promise((resolve) => {
      execFile(process.execPath, ['--check', full], { env: {}, timeout: 5000 }, (error, _out, errOut) => {
        resolve(error ? String(errOut) : '');
      });
    });
    const m = stderr.startsWith(full + ':') ? /^:(\d+)/.exec(stderr.slice(full.length)) : null;
    if (m !== null) return `${file}:${m[1]}`;
  }
  return null;
}

function findLocation(err, dir) {
  if (!(err instanceof Error) || typeof err.stack !== 'string') return null;
  const re = new RegExp(`(?:file://)?${escapeRegExp(dir)}/([^\\s():?]+)(?:\\?[^\\s():]*)?:(\\d+)(?::(\\d+))?`);
  const m = re.exec(err.stack);
  if (m === null) return null;
  return m[3] === undefined ? `${m[1]}:${m[2]}` : `${m[1]}:${m[2]}:${m[3]}`;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function stringMap(source, into) {
  if (!isPlainObject(source)) return;
  for (const [key, value] of Object.entries(source)) {
    if (value !== null && value !== undefined) into[key] = String(value);
  }
}

function createRecord(spec, dir) {
  const vars = Object.create(null);
  stringMap(spec.env, vars);
  stringMap(spec.secrets, vars);
  const version = spec.version;
  const memoryMb = Number.isFinite(spec.memoryMb) ? spec.memoryMb : 128;
  const slug = tenant.slug;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    name: spec.name,
    version,
    contract: null,
    target: null,
    handler: null,
    streaming: false,
    dir,
    timeoutMs: Number.isFinite(spec.timeoutMs) ? spec.timeoutMs : 3000,
    // Handed to fetch handlers as `env`; built once and shared by every invocation.
    env: Object.freeze({ ...vars }),
    // Backs process.env for this function; writes persist across its invocations, as on Lambda.
    processEnv: vars,
    versionString: String(version),
    memoryString: String(memoryMb),
    arn: `arn:tenantry:lambda:local:${slug}:function:${spec.name}`,
    logGroup: `/tenantry/${slug}/${spec.name}`,
    logStream: `${day}/[${version}]${process.pid}`,
  };
}

// ---------------------------------------------------------------------------
// Invocation

// One per request: it is the AsyncLocalStorage store, so logs and process.env can find it.
class Invocation {
  constructor(fn, url, nameEnd) {
    this.fn = fn.name;
    this.v = fn.version;
    this.rid = undefined;
    this.env = fn.processEnv;
    this.out = '';
    this.err = '';
    this.abort = undefined;
    this.settle = undefined;
    this.record = fn;
    this.requestUrl = url;
    this.nameEnd = nameEnd;
    this.url = undefined;
    this.hostHeader = undefined;
    this.host = undefined;
    this.deadline = 0;
    this.sourceIp = '';
    this.hasBody = false;
    this.cookie = undefined;
  }
}

function invoke(req, res, url) {
  let end = url.length;
  for (let i = 8; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */) {
      end = i;
      break;
    }
  }
  // /invoke/<name>[@<version>][/<rest>]: the host names the version it expects.
  const at = url.lastIndexOf('@', end);
  const named = at > 8;
  const fn = functions.get(url.slice(8, named ? at : end));
  if (fn === undefined || (named && fn.version !== Number(url.slice(at + 1, end)))) {
    if (specialising.size > 0) {
      Promise.allSettled(specialising).then(() => invoke(req, res, url));
      return;
    }
    res.writeHead(404, NOT_LOADED_HEADERS);
    res.end(NOT_LOADED_BODY);
    return;
  }
  const inv = new Invocation(fn, url, end);
  als.run(inv, fn.contract === 'fetch' ? runFetch : runLambda, inv, req, res);
}

// Handles headers that belong to the host hop; returns true when the function must not see it.
function takeHostHeader(inv, name, value) {
  const first = name.charCodeAt(0) | 32;
  if (first === 120 /* x */) {
    if (name.length < 12) return false;
    const lower = name.toLowerCase();
    if (!lower.startsWith('x-tenantry-')) return false;
    if (lower === 'x-tenantry-url') inv.url = value;
    else if (lower === 'x-tenantry-request-id') inv.rid = value;
    else if (lower === 'x-tenantry-deadline') inv.deadline = Number(value);
    else if (lower === 'x-tenantry-source-ip') inv.sourceIp = value;
    return true;
  }
  if (first === 104 /* h */ && name.length === 4 && name.toLowerCase() === 'host') {
    if (inv.hostHeader === undefined) inv.hostHeader = value;
    return true;
  }
  if (first === 99 /* c */) {
    if (name.length === 10 && name.toLowerCase() === 'connection') return true;
    if (name.length === 14 && name.toLowerCase() === 'content-length') inv.hasBody = value !== '0';
    return false;
  }
  if (first === 107 /* k */) return name.length === 10 && name.toLowerCase() === 'keep-alive';
  if (first === 116 /* t */ && name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
    inv.hasBody = true;
    return true;
  }
  return false;
}

// Fills the request defaults once the headers are known; the function sees the original authority as Host.
function completeTarget(inv) {
  if (inv.rid === undefined) inv.rid = randomUUID();
  if (!(inv.deadline > 0)) inv.deadline = Date.now() + inv.record.timeoutMs;
  if (inv.url === undefined) {
    const rest = inv.requestUrl.slice(inv.nameEnd);
    inv.url = 'http://' + (inv.hostHeader || 'localhost') + (rest === '' || rest.charCodeAt(0) === 63 ? '/' + rest : rest);
  }
  const start = inv.url.indexOf('//') + 2;
  let end = start;
  while (end < inv.url.length) {
    const c = inv.url.charCodeAt(end);
    if (c === 47 || c === 63 || c === 35) break;
    end++;
  }
  inv.host = inv.url.slice(start, end);
  return end;
}

function finishInvocation(inv, waits) {
  if (waits === null) {
    inv.abort = undefined;
    flushLogs(inv);
    return;
  }
  // waitUntil errors are already logged as they happen; this only keeps the scope alive until all settle.
  Promise.allSettled(waits).then(() => finishInvocation(inv, null));
}

function functionFailed(inv, res, err) {
  logError(inv, err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, 500, { error: 'FunctionError', message: messageOf(err) }, FUNCTION_ERROR_HEADER);
}

// ---- fetch contract --------------------------------------------------------

const kWaits = Symbol('waits');
const kScope = Symbol('scope');

class FetchContext {
  constructor(inv) {
    this.requestId = inv.rid;
    this[kScope] = inv;
    this[kWaits] = null;
  }

  waitUntil(promise) {
    const inv = this[kScope];
    const settled = Promise.resolve(promise).then(undefined, (err) => logError(inv, err, 'waitUntil: '));
    (this[kWaits] ??= []).push(settled);
  }

  // There is no origin behind a Tenantry function to fall through to, so this is a no-op.
  passThroughOnException() {}
}

function buildRequest(inv, req) {
  const raw = req.rawHeaders;
  const headers = new Headers();
  for (let i = 0; i < raw.length; i += 2) {
    if (!takeHostHeader(inv, raw[i], raw[i + 1])) headers.append(raw[i], raw[i + 1]);
  }
  completeTarget(inv);
  if (inv.host !== '') headers.set('host', inv.host);
  const method = req.method;
  if (!inv.hasBody || method === 'GET' || method === 'HEAD') return new Request(inv.url, { method, headers });
  return new Request(inv.url, { method, headers, body: req, duplex: 'half' });
}

function callFetch(inv, target, request, env, ctx) {
  return new Promise((resolve, reject) => {
    inv.abort = reject;
    resolve(target.fetch(request, env, ctx));
  });
}

async function runFetch(inv, req, res) {
  const fn = inv.record;
  let request;
  try {
    request = buildRequest(inv, req);
  } catch (err) {
    return sendJson(res, 400, { error: 'bad-request', message: messageOf(err) }, ['x-tenantry-error', 'bad-request']);
  }
  const ctx = new FetchContext(inv);
  try {
    const response = await callFetch(inv, fn.target, request, fn.env, ctx);
    if (!(response instanceof NativeResponse)) {
      throw new TypeError(`fetch handler must return a Response, got ${describe(response)}`);
    }
    inv.abort = undefined;
    await writeFetchResponse(inv, response, res);
  } catch (err) {
    functionFailed(inv, res, err);
  }
  finishInvocation(inv, ctx[kWaits]);
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return value.constructor && value.constructor.name ? value.constructor.name : 'object';
}

// undici keeps the string/bytes a Response was built from; writing them directly skips a
// stream round trip and lets us send Content-Length (the common case for small answers).
const NativeResponse = globalThis.Response;
const kResponseState = Object.getOwnPropertySymbols(new NativeResponse('')).find((s) => s.description === 'state');
const kLazySource = Symbol('lazy body');
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

// The Response functions see. undici builds a ReadableStream (and makes it transferable) for every
// body, which was a third of a warm call's CPU for `new Response("ok")`. A text body is kept as it
// is instead, and the stream is built only when something reads the body (body, text(), clone()...);
// the worker writes the text itself. Every other body, and every Response undici makes (fetch,
// Response.error, Response.redirect, clone), is undici's own.
class Response extends NativeResponse {
  constructor(body = null, init = undefined) {
    if (typeof body !== 'string') {
      super(body, init);
      return;
    }
    super(null, init); // status, statusText and headers are checked as for any Response
    keepBody(this, body, 'text/plain;charset=UTF-8');
  }

  // Responses undici makes (fetch, Response.error, clone) are Responses too.
  static [Symbol.hasInstance](value) {
    return this === Response ? value instanceof NativeResponse : Function.prototype[Symbol.hasInstance].call(this, value);
  }

  static json(data, init = undefined) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Value is not JSON serializable');
    const response = new Response(null, init);
    keepBody(response, text, 'application/json');
    return response;
  }

  get body() {
    buildBody(this);
    return super.body;
  }

  arrayBuffer() {
    buildBody(this);
    return super.arrayBuffer();
  }

  blob() {
    buildBody(this);
    return super.blob();
  }

  bytes() {
    buildBody(this);
    return super.bytes();
  }

  formData() {
    buildBody(this);
    return super.formData();
  }

  json() {
    buildBody(this);
    return super.json();
  }

  text() {
    buildBody(this);
    return super.text();
  }

  clone() {
    buildBody(this);
    return super.clone();
  }
}

function keepBody(response, text, type) {
  if (NULL_BODY_STATUS.has(response.status)) {
    throw new TypeError(`Response constructor: Invalid response status code ${response.status}`);
  }
  if (!response.headers.has('content-type')) response.headers.set('content-type', type);
  response[kLazySource] = text;
}

// Gives a kept text body the stream undici would have built in the constructor.
function buildBody(response) {
  const text = response[kLazySource];
  if (text === undefined) return;
  response[kLazySource] = undefined;
  response[kResponseState].body = new NativeResponse(text)[kResponseState].body;
}

function fixedBody(response) {
  const kept = response[kLazySource];
  if (kept !== undefined) return kept;
  if (kResponseState === undefined || response.bodyUsed) return undefined;
  const state = response[kResponseState];
  const source = state && state.body ? state.body.source : undefined;
  return typeof source === 'string' || source instanceof Uint8Array ? source : undefined;
}

function responseHeaders(response, fixedLength) {
  const raw = [];
  // fetch() decodes gzip/br bodies but keeps the upstream encoding headers; forwarding both would corrupt the answer.
  const decoded = response.headers.has('content-encoding') && response.url !== '';
  let cookies = false;
  let hasLength = false;
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') cookies = true;
    else if (DROPPED_RESPONSE_HEADERS.has(name)) continue;
    else if (decoded && (name === 'content-encoding' || name === 'content-length')) continue;
    else {
      if (name === 'content-length') hasLength = true;
      raw.push(name, value);
    }
  }
  if (cookies) for (const cookie of response.headers.getSetCookie()) raw.push('set-cookie', cookie);
  if (fixedLength >= 0 && !hasLength) raw.push('content-length', String(fixedLength));
  return raw;
}

async function writeFetchResponse(inv, response, res) {
  const statusText = response.statusText || undefined;
  const fixed = fixedBody(response);
  if (fixed !== undefined) {
    const length = typeof fixed === 'string' ? Buffer.byteLength(fixed) : fixed.byteLength;
    res.writeHead(response.status, statusText, responseHeaders(response, length));
    res.end(fixed);
    return;
  }
  if (response.bodyUsed) throw new TypeError('the returned Response\'s body was already read');
  const body = response.body;
  if (body === null) {
    res.writeHead(response.status, statusText, responseHeaders(response, -1));
    res.end();
    return;
  }
  res.writeHead(response.status, statusText, responseHeaders(response, -1));
  await streamBody(inv, body, res);
}

function cancelReader(reader) {
  reader.cancel().catch(() => {});
}

async function streamBody(inv, body, res) {
  const reader = body.getReader();
  let gone = false;
  const onClose = () => {
    if (res.writableFinished) return;
    gone = true;
    // 'close' fires in the socket's async context; the function's cancel() must run in its own.
    als.run(inv, cancelReader, reader);
  };
  res.on('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || gone) break;
      if (!res.write(value)) await waitForDrain(res);
    }
    if (!gone) res.end();
  } finally {
    res.off('close', onClose);
  }
}

// ---- lambda contract -------------------------------------------------------

class LambdaContext {
  #inv;

  constructor(fn, inv) {
    this.#inv = inv;
    this.callbackWaitsForEmptyEventLoop = true;
    this.functionName = fn.name;
    this.functionVersion = fn.versionString;
    this.invokedFunctionArn = fn.arn;
    this.memoryLimitInMB = fn.memoryString;
    this.awsRequestId = inv.rid;
    this.logGroupName = fn.logGroup;
    this.logStreamName = fn.logStream;
  }

  getRemainingTimeInMillis() {
    return Math.max(0, this.#inv.deadline - Date.now());
  }

  done(err, result) {
    this.#inv.settle(err, result);
  }

  succeed(result) {
    this.#inv.settle(null, result);
  }

  fail(err) {
    this.#inv.settle(err ?? new Error('context.fail() called'), undefined);
  }
}

function lambdaHeaders(inv, raw) {
  const headers = {};
  for (let i = 0; i < raw.length; i += 2) {
    const value = raw[i + 1];
    if (takeHostHeader(inv, raw[i], value)) continue;
    const name = raw[i].toLowerCase();
    if (name === 'cookie') {
      inv.cookie = inv.cookie === undefined ? value : inv.cookie + '; ' + value;
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : previous + ',' + value;
  }
  return headers;
}

function splitCookies(header) {
  const cookies = [];
  for (const part of header.split(';')) {
    const cookie = part.trim();
    if (cookie !== '') cookies.push(cookie);
  }
  return cookies;
}

function queryParameters(query) {
  const params = {};
  for (const [key, value] of new URLSearchParams(query)) {
    params[key] = Object.hasOwn(params, key) ? params[key] + ',' + value : value;
  }
  return params;
}

function pad2(n) {
  return n < 10 ? '0' + n : String(n);
}

function requestTime(ms) {
  const d = new Date(ms);
  return `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

function buildEvent(inv, req, headers, authorityEnd, body) {
  const url = inv.url;
  const hash = url.indexOf('#', authorityEnd);
  const end = hash === -1 ? url.length : hash;
  const q = url.indexOf('?', authorityEnd);
  const hasQuery = q !== -1 && q < end;
  const rawPath = url.slice(authorityEnd, hasQuery ? q : end) || '/';
  const rawQueryString = hasQuery ? url.slice(q + 1, end) : '';
  const hostname = inv.host.replace(/:\d+$/, '');
  const now = Date.now();
  headers.host = inv.host;

  const event = { version: '2.0', routeKey: '$default', rawPath, rawQueryString };
  const cookies = inv.cookie === undefined ? null : splitCookies(inv.cookie);
  if (cookies !== null && cookies.length > 0) event.cookies = cookies;
  event.headers = headers;
  if (rawQueryString !== '') event.queryStringParameters = queryParameters(rawQueryString);
  event.requestContext = {
    accountId: 'tenantry',
    apiId: tenant.slug,
    domainName: hostname,
    domainPrefix: hostname.split('.')[0],
    http: {
      method: req.method,
      path: rawPath,
      protocol: 'HTTP/1.1',
      sourceIp: inv.sourceIp,
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: inv.rid,
    routeKey: '$default',
    stage: '$default',
    time: requestTime(now),
    timeEpoch: now,
  };
  const textual = TEXTUAL_RE.test(headers['content-type'] ?? '');
  if (body.length > 0) event.body = textual ? body.toString('utf8') : body.toString('base64');
  event.isBase64Encoded = body.length > 0 && !textual;
  return event;
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

function callLambda(inv, handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err, value) => {
      if (settled) return;
      settled = true;
      if (err === null || err === undefined) resolve(value);
      else reject(err);
    };
    inv.settle = settle;
    inv.abort = settle;
    const returned = handler(event, context, settle);
    if (isThenable(returned)) {
      returned.then(
        (value) => settle(null, value),
        (err) => settle(err ?? new Error(`handler rejected with ${err}`)),
      );
    } else if (handler.length < 3) {
      settle(null, returned);
    }
  });
}

async function runLambda(inv, req, res) {
  const fn = inv.record;
  let stream = null;
  try {
    const headers = lambdaHeaders(inv, req.rawHeaders);
    const authorityEnd = completeTarget(inv);
    const body = inv.hasBody ? await readBody(req) : EMPTY_BODY;
    const event = buildEvent(inv, req, headers, authorityEnd, body);
    const context = new LambdaContext(fn, inv);
    if (fn.streaming) {
      stream = new LambdaResponseStream(res);
      await callStreamingLambda(inv, fn.handler, event, stream, context);
      inv.abort = undefined;
    } else {
      const result = await callLambda(inv, fn.handler, event, context);
      inv.abort = undefined;
      writeLambdaResponse(res, result);
    }
  } catch (err) {
    if (stream !== null) stream.destroy();
    functionFailed(inv, res, err);
  }
  finishInvocation(inv, null);
}

const EMPTY_BODY = Buffer.alloc(0);

function writeLambdaResponse(res, result) {
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const status = lambdaStatus(result.statusCode);
    const raw = structuredHeaders(result);
    const body = structuredBody(result);
    raw.push('content-length', String(Buffer.byteLength(body)));
    res.writeHead(status, raw);
    res.end(body);
    return;
  }
  const body = result === undefined || result === null ? '' : typeof result === 'string' ? result : JSON.stringify(result);
  res.writeHead(200, ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
}

function lambdaStatus(status) {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new TypeError(`invalid statusCode ${JSON.stringify(status) ?? String(status)}: expected an integer 100..599`);
  }
  return status;
}

function isFramingHeader(name) {
  const lower = name.toLowerCase();
  return lower === 'content-length' || DROPPED_RESPONSE_HEADERS.has(lower);
}

function structuredHeaders(result) {
  const raw = [];
  if (isPlainObject(result.headers)) {
    for (const [name, value] of Object.entries(result.headers)) {
      if (value !== undefined && value !== null && !isFramingHeader(name)) raw.push(name, String(value));
    }
  }
  if (isPlainObject(result.multiValueHeaders)) {
    for (const [name, values] of Object.entries(result.multiValueHeaders)) {
      if (!Array.isArray(values) || isFramingHeader(name)) continue;
      for (const value of values) raw.push(name, String(value));
    }
  }
  if (Array.isArray(result.cookies)) {
    for (const cookie of result.cookies) raw.push('set-cookie', String(cookie));
  }
  return raw;
}

function structuredBody(result) {
  const body = result.body;
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return result.isBase64Encoded === true ? Buffer.from(body, 'base64') : body;
  if (body instanceof Uint8Array) return body;
  return JSON.stringify(body);
}

// ---- lambda response streaming ----------------------------------------------
// As on Lambda: awslambda.streamifyResponse(handler) marks a handler that writes its answer to a
// stream, handler(event, responseStream, context). It must return a promise, and the call lasts
// until that promise resolves and the stream has ended. The answer is a 200 of the type given to
// responseStream.setContentType (application/octet-stream by default), unless the stream starts
// with an HTTP integration prelude (what awslambda.HttpResponseStream.from writes: JSON with
// statusCode, headers and cookies, then 8 zero bytes). Each write reaches the caller as it is made.

// Lambda's own marks, so that libraries that test for them see a streaming handler.
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const PRELUDE_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER = Buffer.alloc(8);
const MAX_PRELUDE_BYTES = 64 * 1024;

function streamifyResponse(handler) {
  if (typeof handler !== 'function') throw new TypeError('awslambda.streamifyResponse needs the handler function');
  handler[HANDLER_STREAMING] = 'response';
  return handler;
}

class HttpResponseStream {
  static from(stream, prelude) {
    stream.setContentType(PRELUDE_TYPE);
    const text = JSON.stringify(prelude ?? {});
    stream._onBeforeFirstWrite = (write) => {
      write(text);
      write(PRELUDE_DELIMITER);
    };
    return stream;
  }
}

class LambdaResponseStream extends Writable {
  #res;
  #type = 'application/octet-stream';
  #started = false;
  // The prelude's bytes read so far, while its delimiter has not come.
  #prelude = null;

  constructor(res) {
    super();
    this.#res = res;
    this._onBeforeFirstWrite = undefined;
    res.on('close', () => {
      if (!res.writableFinished) this.destroy();
    });
  }

  setContentType(type) {
    if (this.#started) throw new Error('Cannot set content-type, too late.');
    this.#type = String(type);
  }

  write(chunk, encoding, callback) {
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    this.#start();
    return super.write(data, encoding, callback);
  }

  end(chunk, encoding, callback) {
    if (typeof chunk === 'function') return this.end(undefined, undefined, chunk);
    if (typeof encoding === 'function') return this.end(chunk, undefined, encoding);
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    // Unlike Lambda, a prelude is sent even when nothing else is written (an empty 204, a redirect).
    this.#start();
    return super.end(callback);
  }

  #start() {
    if (this.#started) return;
    this.#started = true;
    const before = this._onBeforeFirstWrite;
    if (typeof before === 'function') before((chunk) => super.write(chunk));
  }

  _write(chunk, _encoding, callback) {
    const res = this.#res;
    let body = chunk;
    if (!res.headersSent) {
      if (this.#type === PRELUDE_TYPE) {
        try {
          body = this.#readPrelude(chunk);
        } catch (err) {
          callback(err);
          return;
        }
        if (body === null) {
          callback();
          return;
        }
      } else {
        res.writeHead(200, ['content-type', this.#type]);
      }
    }
    if (body.length === 0 || res.write(body)) callback();
    else waitForDrain(res).then(() => callback());
  }

  _final(callback) {
    const res = this.#res;
    if (!res.headersSent) {
      if (this.#prelude !== null) {
        callback(new Error('the response stream ended inside its HTTP integration prelude (no 8-byte delimiter)'));
        return;
      }
      res.writeHead(200, this.#type === PRELUDE_TYPE ? [] : ['content-type', this.#type]);
    }
    res.end();
    callback();
  }

  // Returns the body bytes after the prelude, or null while the prelude has not ended.
  #readPrelude(chunk) {
    const bytes = this.#prelude === null ? chunk : Buffer.concat([this.#prelude, chunk]);
    const end = bytes.indexOf(PRELUDE_DELIMITER);
    if (end === -1) {
      if (bytes.length > MAX_PRELUDE_BYTES) throw new Error(`the HTTP integration prelude is over ${MAX_PRELUDE_BYTES} bytes`);
      this.#prelude = bytes;
      return null;
    }
    this.#prelude = null;
    let prelude;
    try {
      prelude = JSON.parse(bytes.subarray(0, end).toString('utf8'));
    } catch (err) {
      throw new Error(`the HTTP integration prelude is not JSON: ${err.message}`);
    }
    if (!isPlainObject(prelude)) throw new Error('the HTTP integration prelude is not a JSON object');
    this.#res.writeHead(prelude.statusCode === undefined ? 200 : lambdaStatus(prelude.statusCode), structuredHeaders(prelude));
    return bytes.subarray(end + PRELUDE_DELIMITER.length);
  }
}

// Settles once the handler's promise has resolved and the stream is closed (ended, or destroyed
// because the caller went away), or at the first error, an error after the end included.
function callStreamingLambda(inv, handler, event, stream, context) {
  return new Promise((resolve, reject) => {
    inv.abort = reject;
    let handlerDone = false;
    let streamDone = false;
    const settleWhenBoth = () => {
      if (handlerDone && streamDone) resolve();
    };
    // A bad prelude, a write after the end.
    stream.on('error', reject);
    stream.on('close', () => {
      streamDone = true;
      settleWhenBoth();
    });
    const returned = handler(event, stream, context);
    if (!isThenable(returned)) throw new TypeError('a streaming handler (awslambda.streamifyResponse) must be async');
    returned.then(
      (value) => {
        if (value !== undefined) console.warn('Streaming handlers ignore return values.');
        handlerDone = true;
        settleWhenBoth();
      },
      (err) => reject(err ?? new Error(`handler rejected with ${err}`)),
    );
  });
}

// ---------------------------------------------------------------------------
// Startup

function start() {
  if (!SOCKET_PATH) {
    workerError('TENANTRY_SOCKET is not set');
    process.exit(2);
  }
  installProcessHooks();
  // stdout is the only channel to the host: if it is gone, so is the reason to run.
  process.stdout.on('error', () => process.exit(1));
  try {
    fs.unlinkSync(SOCKET_PATH);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  const server = http.createServer({ maxHeaderSize: 64 * 1024 }, onRequest);
  // The host is this server's only client: it opens connections ahead of need and keeps idle ones
  // (so none may time out here), and it enforces deadlines itself (it kills the worker), so a long
  // streamed answer must not be cut here either.
  server.keepAliveTimeout = 0;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.on('error', (err) => {
    workerError('server error: ' + err.message);
    process.exit(1);
  });
  server.listen(SOCKET_PATH, () => {
    warmUp()
      .catch((err) => workerError('warm-up failed (the first request will be slower): ' + sanitize(stackOf(err))))
      .finally(() => {
        // Young-generation collections only (a full one would throw away code the warm-up compiled):
        // what the warm-up left goes now, so that a tenant's first call starts with room to allocate
        // instead of paying for a collection in its middle. The second promotes what survived the first.
        collectGarbage({ type: 'minor' });
        collectGarbage({ type: 'minor' });
        emit({ type: 'ready', pid: process.pid });
      });
  });
}

// ---------------------------------------------------------------------------
// Warm-up: before the worker says it is ready, one function of each contract (an ES module and a
// CommonJS file) is loaded and called through this server exactly as the host does it (over one
// connection opened beforehand, each load with the function's first call pipelined right behind
// it), so that a tenant's first request does not pay for Node's lazily loaded parts (the ESM
// loader, undici's Request and Response, the HTTP server's paths) nor for compiling this file's
// load and invoke paths: in a fresh Node those cost tens of milliseconds. Nothing stays: no tenant
// is bound, the functions and their files are gone before "ready".

const WARM_UP_CALLS = 30;
// With 2 loads, V8 was still deciding what to optimise (the promise hooks behind AsyncLocalStorage
// among others) during a tenant's first call, which then took milliseconds longer; 10 leave
// nothing to tier up there, for about 50 ms more CPU per worker start.
const WARM_UP_LOADS = 10;
const LOADER = 'warm-up-loader';
const WARM_UP_SOURCES = {
  [LOADER]: ['index.mjs', "import { createHash } from 'node:crypto'; const later = () => import('node:path'); export default { async fetch(request) { return new Response(createHash('sha1').update(request.url).digest('hex') + typeof later); } };"],
  'warm-up-fetch': ['index.mjs', "export default { async fetch(request, env) { const body = request.method === 'POST' ? await request.json() : null; return Response.json({ ok: true, body, q: new URL(request.url).searchParams.get('q') }, { headers: { 'x-warm': '1' } }); } };"],
  'warm-up-lambda': ['index.js', "exports.handler = async (event, context) => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, cookies: ['w=1'], body: 'ok ' + (event.body || '') + context.getRemainingTimeInMillis() });"],
};

async function warmUp() {
  functionRoot = WARM_UP_ROOT;
  const names = Object.keys(WARM_UP_SOURCES);
  let host = null;
  try {
    host = await connectAsHost();
    for (let version = 1; version <= WARM_UP_LOADS; version++) {
      for (const name of names) {
        // Node's loader path is warm after one load and one call (see warm-up-fetch for the rest).
        if (name === LOADER && version > 1) continue;
        await exchange(host, [loadRequest(name, version), callRequest(name, version, 0)]);
      }
    }
    for (let i = 1; i < WARM_UP_CALLS; i++) {
      for (const name of names) {
        if (name === LOADER && i >= 2) continue;
        await exchange(host, [callRequest(name, name === LOADER ? 1 : WARM_UP_LOADS, i)]);
      }
    }
  } finally {
    if (host !== null) host.destroy();
    writeDeferredFiles();
    for (const name of names) functions.delete(name);
    for (const key of Object.keys(require.cache)) {
      if (key.startsWith(WARM_UP_ROOT + path.sep)) delete require.cache[key];
    }
    await fsp.rm(WARM_UP_ROOT, { recursive: true, force: true });
    functionRoot = FN_ROOT;
    tenant = null;
  }
}

function connectAsHost() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(SOCKET_PATH, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

function loadRequest(name, version) {
  const [entry, source] = WARM_UP_SOURCES[name];
  const body = JSON.stringify({
    tenant: { id: 'warm-up', slug: 'warm-up' },
    functions: [{ name, version, entry, timeoutMs: 5000, memoryMb: 128, files: { [entry]: Buffer.from(source).toString('base64') },
                  modules: {}, env: { WARM: '1' }, secrets: {} }],
  });
  return 'POST /specialise HTTP/1.1\r\nhost: worker\r\ncontent-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

// The headers a browser or an HTTP client sends, and those the host adds. A call must carry as many
// as a real one: with one header, V8 compiled undici's header check (webidl ByteString) and Node's
// header-name matching during every tenant's first call instead (about 2 ms of a second thread's CPU).
const WARM_UP_HEADERS = 'user-agent: warm-up/1.0\r\naccept: */*\r\naccept-encoding: gzip, deflate\r\n' +
  'accept-language: en\r\ncookie: a=1\r\nx-request-id: warm-up\r\nx-forwarded-for: 127.0.0.1\r\n' +
  'x-forwarded-proto: http\r\nx-forwarded-host: warm-up.localhost\r\n';

// The i-th call: GET, or POST with a JSON body, with the headers the host adds.
function callRequest(name, version, i) {
  const body = i % 2 === 0 ? '' : '{"n":' + i + '}';
  return `${body === '' ? 'GET' : 'POST'} /invoke/${name}@${version} HTTP/1.1\r\nhost: warm-up.localhost\r\n` +
    `x-tenantry-url: http://warm-up.localhost/fn/${name}?q=1\r\nx-tenantry-request-id: warm-up\r\n` +
    `x-tenantry-deadline: ${Date.now() + 5000}\r\nx-tenantry-source-ip: 127.0.0.1\r\n` + WARM_UP_HEADERS +
    (body === '' ? '\r\n' : `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
}

// Writes the requests in one go and reads their answers (this server frames them all with a
// Content-Length); any answer but 200 fails the warm-up.
function exchange(socket, requests) {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    let answered = 0;
    const done = (err) => {
      socket.off('data', onData);
      socket.off('error', done);
      socket.off('close', onClose);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onClose = () => done(new Error('the connection closed before every answer came'));
    const onData = (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffered.toString('latin1', 0, end);
        const length = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (length === null) return done(new Error('an answer without Content-Length: ' + head));
        const size = end + 4 + Number(length[1]);
        if (buffered.length < size) return;
        const status = head.slice(9, 12);
        if (status !== '200') return done(new Error(`answered ${status}: ${buffered.toString('utf8', end + 4, size)}`));
        buffered = buffered.subarray(size);
        if (++answered === requests.length) return done();
      }
    };
    socket.on('data', onData);
    socket.on('error', done);
    socket.on('close', onClose);
    socket.write(requests.join(''));
  });
}

start();
