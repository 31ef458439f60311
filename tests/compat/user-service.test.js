// eicrud wire compatibility, later milestone: change_password,
// logout_everywhere, password reset (through the mailbox file), revoked
// tokens at login, timeout_user, secure-only commands, cookie mode.
// Skipped unless COMPAT_FULL=1.
//
//   COMPAT_FULL=1 COMPAT_URL=http://127.0.0.1:3000 COMPAT_MAIL_LOG=/path/mail.jsonl node --test user-service.test.js

import { before, describe, test as nodeTest } from 'node:test';
import {
  assert,
  assertClearsJwtCookie,
  assertError,
  assertIsoDate,
  assertKeys,
  CLEAR_JWT_COOKIE,
  createAccount,
  FULL,
  fromAxiosError,
  jwtParts,
  last,
  login,
  MOD_EMAIL,
  MOD_PASSWORD,
  newUser,
  PASSWORD,
  quiet,
  raw,
  rejection,
  session,
  sleep,
  spaced,
  uniqueEmail,
  validationMsg,
  waitForMail,
} from './lib.js';

const skip = FULL ? false : 'set COMPAT_FULL=1 to run the user-service milestone';
// every test is skipped (and counted as skipped) unless COMPAT_FULL=1
const test = (name, fn) => nodeTest(name, { skip }, fn);
const CHECK_JWT_KEYS = ['accessToken', 'refreshTokenSec', 'userId'];

/** check_jwt with `token` through a fresh client session: raw answer. */
async function checkJwtWith(token) {
  const s = session();
  s.token = token;
  const res = await quiet(() => s.user.userServiceCmd('check_jwt', {}, true));
  if (res instanceof Error) return fromAxiosError(res);
  return { status: res.status, body: res.data, headers: res.headers };
}

async function assertTokenOk(token, userId) {
  const r = await checkJwtWith(token);
  assert.equal(r.status, 200, `check_jwt answered ${r.status} ${JSON.stringify(r.body)}`);
  assertKeys(r.body, CHECK_JWT_KEYS, 'check_jwt body');
  assert.deepEqual(r.body, { accessToken: null, refreshTokenSec: null, userId });
}

async function assertTokenRevoked(token) {
  const r = await checkJwtWith(token);
  assertError(r, { status: 401, code: 4, text: 'Token rvkd count mismatch' });
  assertClearsJwtCookie(r.headers);
}

/** Login that must fail with 401: returns the raw answer. */
async function loginFails(email, password) {
  const s = session();
  await spaced(email);
  const e = await quiet(() => s.user.login({ email, password }, true));
  return fromAxiosError(e);
}

const emptyBody = (r) => {
  assert.ok(r.data === '' || r.data === undefined, `expected an empty body, got ${JSON.stringify(r.data)}`);
  const len = r.headers['content-length'];
  if (len !== undefined) assert.equal(String(len), '0');
};

// ===========================================================================
describe('change_password', () => {
  test('wrong old password -> 400 code 5', async () => {
    const a = await newUser('a');
    // A command checking the current password shares the login throttle.
    await spaced(a.email);
    const r = await rejection(
      a.s.user.cmdS('change_password', { oldPassword: 'nope-nope-1', newPassword: 'pass-A-changed-1' }),
    );
    assertError(r, { status: 400, code: 5, text: 'Invalid credentials' });
  });

  test('oversized new password -> 400 code 23', async () => {
    const a = await newUser('a');
    const r = await rejection(a.s.user.cmdS('change_password', { oldPassword: a.password, newPassword: 'n'.repeat(60) }));
    assertError(r, {
      status: 400,
      code: 23,
      text: 'Field (newPassword) size is too big. Add a @$MaxSize decorator on the field or increase defaultMaxSize.',
      data: { problemField: 'newPassword', fieldSize: 62, maxSize: 50 },
    });
  });

  test('as guest -> 403', async () => {
    const guest = session();
    const r = await rejection(
      guest.user.cmdS('change_password', { oldPassword: PASSWORD, newPassword: 'pass-A-changed-1' }),
    );
    assertError(r, { status: 403, message: 'Role guest is not allowed to POST user change_password - guest failed on all ' });
  });

  test('ok: new token returned, old tokens 401 code 4, old password refused, new accepted', async () => {
    const a = await newUser('a');
    const other = await login(session(), a.email, a.password); // a second token of the same user
    const newPassword = 'pass-A-changed-1';
    await spaced(a.email);
    const res = await a.s.user.cmdS('change_password', { oldPassword: a.password, newPassword, logMeIn: true });
    assert.equal(last().status, 201);
    assertKeys(res, ['accessToken'], 'change_password body');
    const { payload } = jwtParts(res.accessToken);
    assert.equal(payload.id, a.userId);
    assert.equal(payload.rvkd, 1, 'rvkd incremented');
    assert.equal(payload.exp - payload.iat, 1800);

    await assertTokenRevoked(other.accessToken);
    await assertTokenRevoked(a.token);
    await assertTokenOk(res.accessToken, a.userId);

    const old = await loginFails(a.email, a.password);
    assertError(old, { status: 401, code: 5, text: 'Invalid credentials' });
    const fresh = await login(session(), a.email, newPassword);
    assert.equal(fresh.userId, a.userId);
    assert.equal(jwtParts(fresh.accessToken).payload.rvkd, 1);
  });

  test('secure-only command over PATCH (cmd instead of cmdS) -> 403', async () => {
    const a = await newUser('a');
    const r = await rejection(a.s.user.cmd('change_password', { oldPassword: a.password, newPassword: a.password }));
    assertError(r, { status: 403, message: 'Command must be used in secure mode (POST)' });
  });
});

// ===========================================================================
describe('logout_everywhere', () => {
  test("other user's id -> 403", async () => {
    const a = await newUser('a');
    const b = await newUser('b');
    const r = await rejection(b.s.user.cmdS('logout_everywhere', { userId: a.userId }));
    assertError(r, {
      status: 403,
      message: 'Role user is not allowed to POST user logout_everywhere - user failed on userId - guest failed on all ',
    });
    await assertTokenOk(a.token, a.userId);
  });

  test('as guest -> 403', async () => {
    const a = await newUser('a');
    const r = await rejection(session().user.cmdS('logout_everywhere', { userId: a.userId }));
    assertError(r, {
      status: 403,
      message: 'Role guest is not allowed to POST user logout_everywhere - guest failed on all ',
    });
  });

  test('own id: 201 empty; every token revoked (client retries as guest); fresh login works', async () => {
    const a = await newUser('a');
    const s2 = session();
    const t2 = await login(s2, a.email, a.password);
    await assertTokenOk(t2.accessToken, a.userId);

    const res = await a.s.user.cmdS('logout_everywhere', { userId: a.userId });
    const r = last();
    assert.equal(r.status, 201);
    emptyBody(r);
    assert.ok(res === '' || res === undefined);

    await assertTokenRevoked(t2.accessToken);
    await assertTokenRevoked(a.token);

    // a CRUD call with a revoked token: 401, the client drops it and retries as guest
    const g = await rejection(s2.post.find({ owner: a.userId }));
    assertError(g, { status: 403, message: 'Role guest is not allowed to GET post - guest failed on all ' });
    assert.ok(!s2.token, 'the client dropped the revoked token');

    const s3 = session();
    const fresh = await login(s3, a.email, a.password);
    assert.equal(jwtParts(fresh.accessToken).payload.rvkd, 1);
    await assertTokenOk(fresh.accessToken, a.userId);
    const list = await s3.post.find({ owner: a.userId });
    assert.deepEqual(list, { data: [], total: 0, limit: 40 });
  });
});

// ===========================================================================
describe('password reset', () => {
  test('send_password_reset_email: invalid email -> 400 isEmail', async () => {
    const r = await rejection(session().user.cmdS('send_password_reset_email', { email: 'nope' }));
    assertError(r, { status: 400, message: validationMsg('SendPasswordResetEmailDto', 'email', 'isEmail') });
  });

  test('send_password_reset_email: unknown email -> 201 true', async () => {
    const res = await session().user.cmdS('send_password_reset_email', { email: uniqueEmail('ghost') });
    const r = last();
    assert.equal(r.status, 201);
    assert.equal(res, true);
  });

  test('reset_password: bad token -> 400 code 7; unknown user -> 400 code 9', async () => {
    const a = await newUser('a');
    const s = session();
    let r = await rejection(
      s.user.cmdS('reset_password', { token_id: `abcdefabcdefabcde_${a.userId}`, newPassword: 'pass-A-reset-12' }),
    );
    assertError(r, { status: 400, code: 7, text: 'Token expired' });
    r = await rejection(s.user.cmdS('reset_password', { token_id: 'abcdefabcdefabcde_nouser', newPassword: 'pass-A-reset-12' }));
    assertError(r, { status: 400, code: 9, text: 'User not found' });
  });

  test('round trip through the mailbox: reset -> logged in, old tokens revoked, old password refused', async () => {
    const a = await newUser('a');
    const s = session();
    const sent = await s.user.cmdS('send_password_reset_email', { email: a.email });
    assert.equal(last().status, 201);
    assert.equal(sent, true);

    const mail = await waitForMail((m) => m.kind === 'password_reset' && m.to === a.email);
    assertKeys(mail, ['ts', 'kind', 'to', 'token'], 'mail line');
    assert.match(mail.token, new RegExp(`^[A-Za-z0-9]+_${a.userId}$`), 'token is <rnd>_<userId>');

    const newPassword = 'pass-A-reset-12';
    const res = await s.user.cmdS('reset_password', { token_id: mail.token, newPassword, logMeIn: true });
    assert.equal(last().status, 201);
    assertKeys(res, ['accessToken'], 'reset_password body');
    const { payload } = jwtParts(res.accessToken);
    assert.equal(payload.id, a.userId);
    assert.equal(payload.rvkd, 1);
    await assertTokenOk(res.accessToken, a.userId);
    await assertTokenRevoked(a.token);

    const old = await loginFails(a.email, a.password);
    assertError(old, { status: 401, code: 5, text: 'Invalid credentials' });
    const fresh = await login(session(), a.email, newPassword);
    assert.equal(fresh.userId, a.userId);
  });
});

// ===========================================================================
describe('revoked token at login', () => {
  test('login while holding a revoked token -> 401 code 4 from the guard, then ok', async () => {
    const a = await newUser('a');
    await a.s.user.cmdS('logout_everywhere', { userId: a.userId }); // revokes a.token
    assert.equal(a.s.token, a.token, 'the client still holds the (now revoked) token');

    await spaced(a.email);
    const e = await quiet(() => a.s.user.login({ email: a.email, password: a.password }, true));
    const r = fromAxiosError(e);
    assertError(r, { status: 401, code: 4, text: 'Token rvkd count mismatch' });
    assertClearsJwtCookie(r.headers);
    assert.ok(!a.s.token, 'the client dropped the revoked token');

    // and login() itself resolves to undefined in that case
    const s2 = session();
    s2.token = a.token;
    await spaced(a.email);
    assert.equal(await quiet(() => s2.user.login({ email: a.email, password: a.password })), undefined);

    const ok = await login(a.s, a.email, a.password);
    assert.equal(ok.userId, a.userId);
    assert.equal(last().status, 200);
    await assertTokenOk(ok.accessToken, a.userId);
  });
});

// ===========================================================================
describe('timeout_user', () => {
  let mod;
  before(async () => {
    if (!FULL) return;
    mod = session();
    // the moderator is shared with any other run against this server: retry on 425
    for (let i = 0; ; i++) {
      await spaced(MOD_EMAIL);
      const res = await quiet(() => mod.user.login({ email: MOD_EMAIL, password: MOD_PASSWORD }).catch((e) => e));
      if (res?.accessToken) {
        mod.userId = res.userId;
        break;
      }
      const status = res?.response?.status ?? last().status;
      if (status !== 425 || i >= 5) {
        assert.fail(`moderator login (${MOD_EMAIL}, COMPAT_MOD_EMAIL/COMPAT_MOD_PASSWORD) failed: ${status} ${JSON.stringify(res?.response?.data ?? last().data)}`);
      }
    }
  });

  test('by a plain user -> 403', async () => {
    const a = await newUser('a');
    const c = await newUser('c');
    const r = await rejection(
      a.s.user.cmdS('timeout_user', { userId: c.userId, timeoutDurationMinutes: 1, allowedRoles: ['user'] }),
    );
    assertError(r, {
      status: 403,
      message: 'Role user is not allowed to POST user timeout_user - user failed on all - guest failed on all ',
    });
  });

  test('moderator with allowedRoles [moderator] -> 403', async () => {
    const c = await newUser('c');
    const r = await rejection(
      mod.user.cmdS('timeout_user', { userId: c.userId, timeoutDurationMinutes: 1, allowedRoles: ['moderator'] }),
    );
    assertError(r, {
      status: 403,
      message:
        'Role moderator is not allowed to POST user timeout_user - moderator failed on userId - user failed on all - guest failed on all ',
    });
  });

  test('missing timeoutDurationMinutes -> 400 isInt', async () => {
    const c = await newUser('c');
    const r = await rejection(mod.user.cmdS('timeout_user', { userId: c.userId, allowedRoles: ['user'] }));
    assertError(r, { status: 400, message: validationMsg('TimeoutUserDto', 'timeoutDurationMinutes', 'isInt') });
  });

  test('moderator times out a user: login 401 code 2, POST with old token 401 code 2, others unaffected', async () => {
    const c = await newUser('c');
    const b = await newUser('b');
    await assertTokenOk(c.token, c.userId);

    const before = Date.now();
    const res = await mod.user.cmdS('timeout_user', {
      userId: c.userId,
      timeoutDurationMinutes: 1,
      allowedRoles: ['user'],
    });
    const r = last();
    assert.equal(r.status, 201);
    emptyBody(r);
    assert.ok(res === '' || res === undefined);
    await sleep(300); // eicrud writes the timeout without awaiting it

    let until;
    const checkUntil = (d) => {
      assertIsoDate(d, 'timeout end');
      const t = Date.parse(d);
      assert.ok(t > before + 30_000 && t < Date.now() + 90_000, `timeout end ~1 min from now, got ${d}`);
      until = d;
    };
    const lg = await loginFails(c.email, c.password);
    assertError(lg, { status: 401, code: 2, text: 'Account locked. Please wait until', data: checkUntil });

    const post = await raw('POST', '/crud/s/post/one', {
      token: c.token,
      body: { owner: c.userId, title: 'during timeout' },
    });
    assertError(post, { status: 401, code: 2, text: 'Account locked. Please wait until', data: until });
    assertClearsJwtCookie(post.headers);

    // through the client: 401 -> token dropped -> retried as guest -> 403
    const g = await rejection(c.s.post.create({ owner: c.userId, title: 'during timeout' }));
    assertError(g, { status: 403, message: 'Role guest is not allowed to POST post - guest failed on owner ' });
    assert.ok(!c.s.token);

    await assertTokenOk(b.token, b.userId);
  });
});

// ===========================================================================
describe('cookie mode', () => {
  // The Node client always keeps its token in memory (useSecureCookie only
  // takes effect in a browser), so cookie mode is driven with fetch, as the
  // browser client would send it.
  const OPTS = { jwtCookie: true };

  test('login sets eicrud-jwt + eicrud-csrf; CSRF header required on PATCH; GET with cookies; logout clears', async () => {
    const s = session();
    const acc = await createAccount(s, { email: uniqueEmail('cookie') });
    await spaced(acc.email);

    const lg = await raw('PATCH', '/crud/s/user/cmd/login', {
      options: OPTS,
      body: { email: acc.email, password: acc.password },
    });
    assert.equal(lg.status, 200, lg.text);
    assertKeys(lg.body, ['accessToken', 'userId'], 'login body');
    assert.equal(lg.body.userId, acc.userId);
    const [jwt, csrfPlain, ...extra] = lg.body.accessToken.split('#');
    assert.equal(extra.length, 0, 'accessToken is <jwt>#<csrf>');
    const { payload } = jwtParts(jwt);
    assert.equal(payload.id, acc.userId);
    assert.equal(payload.csrf, csrfPlain, 'JWT payload carries the csrf');
    assert.ok(csrfPlain.length > 0);
    assert.equal(payload.exp - payload.iat, 1800);

    const jwtCookie = lg.setCookies.find((c) => c.startsWith('eicrud-jwt='));
    const csrfCookie = lg.setCookies.find((c) => c.startsWith('eicrud-csrf='));
    assert.equal(jwtCookie, `eicrud-jwt=${jwt}; Path=/; HttpOnly; Secure; SameSite=Lax`);
    assert.ok(csrfCookie, `eicrud-csrf cookie missing: ${JSON.stringify(lg.setCookies)}`);
    const m = /^eicrud-csrf=([0-9a-f]{64}); Path=\/; Secure; SameSite=Lax$/.exec(csrfCookie);
    assert.ok(m, `eicrud-csrf cookie: ${csrfCookie}`);
    const csrf = m[1];
    const cookie = `eicrud-jwt=${jwt}; eicrud-csrf=${csrf}`;

    // check_jwt with cookies + header
    const ok = await raw('PATCH', '/crud/s/user/cmd/check_jwt', {
      options: OPTS,
      body: {},
      headers: { cookie, 'eicrud-csrf': csrf },
    });
    assert.equal(ok.status, 200, ok.text);
    assertKeys(ok.body, CHECK_JWT_KEYS, 'check_jwt body');
    assert.deepEqual(ok.body, { accessToken: null, refreshTokenSec: null, userId: acc.userId });

    // without the header
    const nocsrf = await raw('PATCH', '/crud/s/user/cmd/check_jwt', { options: OPTS, body: {}, headers: { cookie } });
    assertError(nocsrf, { status: 401, message: 'CSRF token mismatch.' });
    assertClearsJwtCookie(nocsrf.headers);

    // with a wrong header
    const bad = await raw('PATCH', '/crud/s/user/cmd/check_jwt', {
      options: OPTS,
      body: {},
      headers: { cookie, 'eicrud-csrf': '0'.repeat(64) },
    });
    assertError(bad, { status: 401, message: 'CSRF token mismatch.' });

    // GET with cookies only
    const list = await raw('GET', '/crud/s/post/many', { options: OPTS, query: { owner: acc.userId }, headers: { cookie } });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body, { data: [], total: 0, limit: 40 });

    // logout clears the cookie
    const out = await raw('PATCH', '/crud/s/user/cmd/logout', {
      options: OPTS,
      body: {},
      headers: { cookie, 'eicrud-csrf': csrf },
    });
    assert.equal(out.status, 200, out.text);
    assert.equal(out.text, '');
    assert.ok(out.setCookies.includes(CLEAR_JWT_COOKIE), JSON.stringify(out.setCookies));
  });
});
