// Shared helpers of the compatibility suite: configuration, clients, raw HTTP,
// and the assertions on eicrud's error bodies.
//
// The suite talks to the server with the REAL @eicrud/client (CommonJS, built
// on axios). Statuses and headers of the client's requests are read with an
// interceptor on the very axios instance the client uses.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { CrudClient, MemoryStorage } from '@eicrud/client';

const require = createRequire(import.meta.url);
// The client does `require('axios')`: take the same (CommonJS) instance, resolved
// from the client's own directory, so that the interceptor sees its requests.
const axios = createRequire(require.resolve('@eicrud/client'))('axios');

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

function fail(msg) {
  const e = new Error(`[compat] ${msg}`);
  e.stack = e.message; // keep the runner's output short and clear
  throw e;
}

const rawUrl = process.env.COMPAT_URL;
if (!rawUrl) {
  fail('COMPAT_URL is not set (e.g. COMPAT_URL=http://127.0.0.1:3000 node --test, or ./run.sh http://127.0.0.1:3000)');
}
export const URL_BASE = rawUrl.replace(/\/+$/, '');
export const MAIL_LOG = process.env.COMPAT_MAIL_LOG || '';
export const MOD_EMAIL = process.env.COMPAT_MOD_EMAIL || 'moderator@peer.test';
export const MOD_PASSWORD = process.env.COMPAT_MOD_PASSWORD || 'moderator-pass-1';
export const FULL = process.env.COMPAT_FULL === '1';

// Fail fast when the server is not there.
{
  let text;
  try {
    const res = await fetch(URL_BASE + '/crud/rdy', { signal: AbortSignal.timeout(5000) });
    text = (await res.text()).trim();
    if (res.status !== 200 || text !== 'true') {
      fail(`${URL_BASE}/crud/rdy answered ${res.status} ${JSON.stringify(text)}, expected 200 true`);
    }
  } catch (e) {
    if (e.message?.startsWith('[compat]')) throw e;
    fail(`${URL_BASE}/crud/rdy does not answer (${e.cause?.code || e.message}); is the server running at COMPAT_URL?`);
  }
}

// ---------------------------------------------------------------------------
// Unique names, timing
// ---------------------------------------------------------------------------

export const RUN_ID = crypto.randomBytes(4).toString('hex');
let seq = 0;
/** A fresh, unique, lower-case e-mail address for this run. */
export function uniqueEmail(tag = 'u') {
  seq += 1;
  return `c${RUN_ID}.${tag}${seq}@compat.test`;
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// eicrud refuses a login on an e-mail less than 600 ms after the previous one
// (425). Every login that is not meant to test that throttle goes through
// `spaced(email)`, which waits until 700 ms have passed.
const lastLogin = new Map();
export async function spaced(email, gapMs = 700) {
  const key = email;
  const last = lastLogin.get(key);
  if (last) {
    const wait = last + gapMs - Date.now();
    if (wait > 0) await sleep(wait);
  }
  lastLogin.set(key, Date.now());
}
export function markLogin(email) {
  lastLogin.set(email, Date.now());
}

// ---------------------------------------------------------------------------
// Client side: last response seen by axios
// ---------------------------------------------------------------------------

let lastResponse = null;
axios.interceptors.request.use((config) => {
  lastResponse = null; // never report a stale answer
  return config;
});
axios.interceptors.response.use(
  (r) => {
    lastResponse = r;
    return r;
  },
  (e) => {
    lastResponse = e.response || null;
    return Promise.reject(e);
  },
);
/** `{status, headers, data}` of the last HTTP answer the client received. */
export function last() {
  assert.ok(lastResponse, 'no response recorded');
  return { status: lastResponse.status, headers: lastResponse.headers, data: lastResponse.data };
}

/**
 * A user session: one CrudClient per service (`user`, `post`) sharing one
 * token storage, so a login through `user` authenticates `post` too.
 */
export function session() {
  const storage = new MemoryStorage();
  const mk = (serviceName) => new CrudClient({ serviceName, url: URL_BASE, storage });
  const s = {
    storage,
    user: mk('user'),
    post: mk('post'),
    client: mk,
    get token() {
      return storage.get('eicrud-ljwt');
    },
    set token(t) {
      s.user.setJwt(t);
    },
  };
  return s;
}

/** Runs `fn` with console.error silenced (the client logs every 401 body). */
export async function quiet(fn) {
  const orig = console.error;
  console.error = () => {};
  try {
    return await fn();
  } finally {
    console.error = orig;
  }
}

/**
 * Awaits a client call that must fail; returns `{status, body, headers}` of
 * the HTTP answer carried by the rejected promise (an AxiosError).
 */
export async function rejection(promise) {
  let value;
  try {
    value = await quiet(() => promise);
  } catch (e) {
    assert.ok(e?.response, `expected an HTTP error answer, got ${e?.stack || e}`);
    return { status: e.response.status, body: e.response.data, headers: e.response.headers };
  }
  assert.fail(`expected the call to be rejected, it resolved with ${JSON.stringify(value)}`);
}

/** Turns an AxiosError (as returned by `login(dto, true)`) into `{status, body, headers}`. */
export function fromAxiosError(e) {
  assert.ok(e?.response, `expected an AxiosError with a response, got ${e?.stack || JSON.stringify(e)}`);
  return { status: e.response.status, body: e.response.data, headers: e.response.headers };
}

// ---------------------------------------------------------------------------
// Raw HTTP (fetch), for what the client cannot express
// ---------------------------------------------------------------------------

/**
 * `raw('PATCH', '/crud/s/user/cmd/check_jwt', {body, token, headers, query, options})`
 * → `{status, headers (Headers), setCookies (string[]), text, body}`.
 * `query`/`options` are objects serialised as JSON in the query string.
 */
export async function raw(method, path, { body, token, headers = {}, query, options, rawQuery } = {}) {
  const params = new URLSearchParams();
  if (options !== undefined) params.set('options', JSON.stringify(options));
  if (query !== undefined) params.set('query', JSON.stringify(query));
  let qs = params.toString();
  if (rawQuery) qs = qs ? qs + '&' + rawQuery : rawQuery;
  const h = { ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  if (token) h.authorization = 'Bearer ' + token;
  const res = await fetch(URL_BASE + path + (qs ? '?' + qs : ''), {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, setCookies: res.headers.getSetCookie(), text, body: parsed };
}

// ---------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------

export const PASSWORD = 'pass-Compat-123';

/** create_account through the client; returns `{email, password, userId, accessToken?}`. */
export async function createAccount(s, { email = uniqueEmail(), password = PASSWORD, logMeIn } = {}) {
  const dto = { email, password, role: 'user' };
  if (logMeIn) dto.logMeIn = true;
  const res = await s.user.cmdS('create_account', dto);
  assert.equal(last().status, 201);
  assert.equal(typeof res?.userId, 'string', `create_account answered ${JSON.stringify(res)}`);
  return { email, password, userId: res.userId, accessToken: res.accessToken };
}

/** Login through the client (spaced from the previous login on that e-mail). */
export async function login(s, email, password) {
  await spaced(email);
  const res = await quiet(() => s.user.login({ email, password }));
  assert.ok(res?.accessToken, `login of ${email} failed: ${JSON.stringify(last().data)}`);
  return res;
}

/** A fresh account, logged in; returns `{s, email, password, userId, token}`. */
export async function newUser(tag = 'u') {
  const s = session();
  const acc = await createAccount(s, { email: uniqueEmail(tag) });
  const res = await login(s, acc.email, acc.password);
  assert.equal(res.userId, acc.userId);
  return { s, ...acc, token: res.accessToken };
}

// ---------------------------------------------------------------------------
// JWT
// ---------------------------------------------------------------------------

const b64urlDecode = (p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
export function jwtParts(token) {
  assert.equal(typeof token, 'string', 'token must be a string');
  const parts = token.split('.');
  assert.equal(parts.length, 3, `not a JWT: ${token}`);
  return { header: b64urlDecode(parts[0]), payload: b64urlDecode(parts[1]), parts };
}
/** Same signature, payload changed by `edit(payload)`. */
export function tamper(token, edit) {
  const { payload, parts } = jwtParts(token);
  const p2 = edit({ ...payload }) || payload;
  return [parts[0], Buffer.from(JSON.stringify(p2)).toString('base64url'), parts[2]].join('.');
}

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export function assertIsoDate(v, what = 'date') {
  assert.equal(typeof v, 'string', `${what} must be an ISO string, got ${JSON.stringify(v)}`);
  assert.match(v, ISO_MS, `${what} must be ISO-8601 with milliseconds and Z`);
}
export function assertKeys(obj, keys, what = 'body') {
  assert.ok(obj && typeof obj === 'object', `${what} must be an object, got ${JSON.stringify(obj)}`);
  assert.deepEqual(Object.keys(obj), keys, `${what} keys (in order)`);
}

/** class-validator message as eicrud words it. */
export function validationMsg(dto, prop, constraints, kind = 'Data') {
  return `Validation error ${kind}: An instance of ${dto} has failed the validation:\n - property ${prop} has failed the following constraints: ${constraints} \n`;
}

export const REASON = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  425: 'Too early',
  429: 'Too Many Requests',
};

export const CLEAR_JWT_COOKIE = 'eicrud-jwt=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax';

/**
 * Asserts an error answer `{status, body}` (from `rejection`, `fromAxiosError`
 * or `raw`).
 *
 *   status   expected HTTP status
 *   error    expected reason (defaults to REASON[status])
 *   message  exact plain-text message (non-coded errors)
 *   code     eicrud code: `message` must then be a JSON text {message, code[, data]}
 *   text     the inner message of a coded error
 *   data     the inner data (deepEqual) or a predicate function; omitted = must be absent
 *   order    order of the three NestJS keys (default message, error, statusCode)
 *
 * A ferrocrud server adds top-level `code` and `data`: they are accepted, and
 * must then equal the inner code and data. No other extra key is accepted.
 */
export function assertError(r, { status, error, message, code, text, data, order }) {
  const where = `answer ${r.status} ${JSON.stringify(r.body)}`;
  assert.equal(r.status, status, `status; ${where}`);
  const body = r.body;
  assert.ok(body && typeof body === 'object' && !Array.isArray(body), `error body must be a JSON object; ${where}`);
  const std = ['message', 'error', 'statusCode'];
  const keys = Object.keys(body);
  for (const k of keys) {
    assert.ok([...std, 'code', 'data'].includes(k), `unexpected key ${k} in error body; ${where}`);
  }
  assert.deepEqual(
    keys.filter((k) => std.includes(k)),
    order || std,
    `error body key order; ${where}`,
  );
  assert.equal(body.statusCode, status, `statusCode; ${where}`);
  assert.equal(body.error, error ?? REASON[status], `error; ${where}`);
  assert.equal(typeof body.message, 'string', `message must be a string; ${where}`);

  if (code !== undefined) {
    let inner;
    try {
      inner = JSON.parse(body.message);
    } catch {
      assert.fail(`message must be a JSON text with code ${code}; ${where}`);
    }
    assert.equal(inner.code, code, `inner code; ${where}`);
    if (text !== undefined) assert.equal(inner.message, text, `inner message; ${where}`);
    if (typeof data === 'function') {
      assert.ok('data' in inner, `inner data missing; ${where}`);
      data(inner.data);
    } else if (data !== undefined) {
      assert.deepEqual(inner.data, data, `inner data; ${where}`);
    } else {
      assert.ok(!('data' in inner), `inner data must be absent; ${where}`);
    }
    assert.deepEqual(
      Object.keys(inner),
      'data' in inner ? ['message', 'code', 'data'] : ['message', 'code'],
      `inner keys; ${where}`,
    );
    if ('code' in body) assert.equal(body.code, inner.code, `top-level code must equal the inner code; ${where}`);
    if ('data' in body) assert.deepEqual(body.data, inner.data, `top-level data must equal the inner data; ${where}`);
  } else {
    if (message !== undefined) assert.equal(body.message, message, `message; ${where}`);
    if ('code' in body && body.code !== null) {
      assert.ok(Number.isInteger(body.code), `top-level code must be an integer; ${where}`);
    }
  }
}

/** Asserts the guard's cookie-clearing header on a 401. */
export function assertClearsJwtCookie(headers) {
  const list = typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : [].concat(headers['set-cookie'] || []);
  assert.ok(list.includes(CLEAR_JWT_COOKIE), `expected set-cookie "${CLEAR_JWT_COOKIE}", got ${JSON.stringify(list)}`);
}

/** Asserts that the answer sets no eicrud-jwt cookie (401s not raised by the guard). */
export function assertNoJwtCookie(headers) {
  const list = typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : [].concat(headers['set-cookie'] || []);
  assert.ok(!list.some((c) => c.startsWith('eicrud-jwt=')), `unexpected set-cookie ${JSON.stringify(list)}`);
}

/** Polls the mailbox (JSON lines `{ts, kind, to, token}`) for a matching entry. */
export async function waitForMail(pred, timeoutMs = 5000) {
  assert.ok(MAIL_LOG, 'COMPAT_MAIL_LOG must be set to the JSON-lines mailbox file the server writes');
  const end = Date.now() + timeoutMs;
  for (;;) {
    let lines = [];
    try {
      lines = fs.readFileSync(MAIL_LOG, 'utf8').split('\n').filter(Boolean);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    const found = lines
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return null;
        }
      })
      .filter((m) => m && pred(m));
    if (found.length) return found[found.length - 1];
    if (Date.now() > end) assert.fail(`no matching mail in ${MAIL_LOG} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export { assert, axios };
