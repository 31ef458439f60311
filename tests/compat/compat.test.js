// eicrud wire compatibility: create_account, login, check_jwt, the post
// service, unknown service / command. Every expectation comes from the
// captured exchanges in eicrud-wire.md (checked against a live eicrud server).
//
//   COMPAT_URL=http://127.0.0.1:3000 node --test compat.test.js

import { describe, test } from 'node:test';
import {
  assert,
  assertClearsJwtCookie,
  assertError,
  assertIsoDate,
  assertNoJwtCookie,
  assertKeys,
  createAccount,
  fromAxiosError,
  jwtParts,
  last,
  login,
  markLogin,
  newUser,
  PASSWORD,
  quiet,
  raw,
  rejection,
  session,
  sleep,
  spaced,
  tamper,
  uniqueEmail,
  validationMsg,
  URL_BASE,
} from './lib.js';

const CHECK_JWT_KEYS = ['accessToken', 'refreshTokenSec', 'userId'];
const POST_COLUMNS = ['id', 'owner', 'title', 'content', 'published', 'likes', 'createdAt', 'updatedAt'];

/** check_jwt through the client, plus the raw answer it received. */
async function checkJwtOk(s, userId) {
  const id = await s.user.checkJwt();
  assert.equal(id, userId, 'checkJwt() returns the userId');
  const r = last();
  assert.equal(r.status, 200);
  assertKeys(r.data, CHECK_JWT_KEYS, 'check_jwt body');
  assert.deepEqual(r.data, { accessToken: null, refreshTokenSec: null, userId });
}

/** A user with two posts, as in the captures ("first" and "second"). */
async function userWithTwoPosts() {
  const a = await newUser('a');
  const first = await a.s.post.create({ owner: a.userId, title: 'first', content: 'hello world', likes: 3 });
  const second = await a.s.post.create({ owner: a.userId, title: 'second', published: true });
  return { a, first, second };
}

// ===========================================================================
describe('create_account', () => {
  test('guest creates an account: 201 {userId}', async () => {
    const s = session();
    const email = uniqueEmail('a');
    const res = await s.user.cmdS('create_account', { email, password: PASSWORD, role: 'user' });
    const r = last();
    assert.equal(r.status, 201);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assertKeys(res, ['userId'], 'create_account body');
    assert.equal(typeof res.userId, 'string');
    assert.ok(res.userId.length > 0);
  });

  test('logMeIn returns an accessToken that passes check_jwt', async () => {
    const s = session();
    const email = uniqueEmail('b');
    const res = await s.user.cmdS('create_account', { email, password: PASSWORD, role: 'user', logMeIn: true });
    assert.equal(last().status, 201);
    assertKeys(res, ['userId', 'accessToken'], 'create_account body');
    const { header, payload } = jwtParts(res.accessToken);
    assert.equal(header.alg, 'HS256');
    assert.equal(payload.id, res.userId);
    assert.equal(payload.exp - payload.iat, 1800);
    s.token = res.accessToken;
    await checkJwtOk(s, res.userId);
  });

  test('email is trimmed and lower-cased', async () => {
    const s = session();
    const email = uniqueEmail('c');
    const res = await s.user.cmdS('create_account', {
      email: '  ' + email.toUpperCase() + ' ',
      password: PASSWORD,
      role: 'user',
    });
    assert.equal(last().status, 201);
    const lg = await login(s, email, PASSWORD);
    assertKeys(lg, ['accessToken', 'userId'], 'login body');
    assert.equal(lg.userId, res.userId);
  });

  test('duplicate email -> 400 code 16', async () => {
    const s = session();
    const acc = await createAccount(s);
    const r = await rejection(s.user.cmdS('create_account', { email: acc.email, password: PASSWORD, role: 'user' }));
    assertError(r, { status: 400, code: 16, text: 'An account with this username already exists.' });
  });

  test('role admin by guest -> 403', async () => {
    const s = session();
    const r = await rejection(
      s.user.cmdS('create_account', { email: uniqueEmail('x1'), password: PASSWORD, role: 'admin' }),
    );
    assertError(r, {
      status: 403,
      message: 'Role guest is not allowed to POST user create_account - guest failed on email ',
    });
  });

  test('missing password -> 400 minLength', async () => {
    const s = session();
    const r = await rejection(s.user.cmdS('create_account', { email: uniqueEmail('x2'), role: 'user' }));
    assertError(r, { status: 400, message: validationMsg('CreateAccountDto', 'password', 'minLength') });
  });

  test('missing role -> 400 isString', async () => {
    const s = session();
    const r = await rejection(s.user.cmdS('create_account', { email: uniqueEmail('x2b'), password: PASSWORD }));
    assertError(r, { status: 400, message: validationMsg('CreateAccountDto', 'role', 'isString') });
  });

  test('invalid email -> 400 isEmail', async () => {
    const s = session();
    const r = await rejection(s.user.cmdS('create_account', { email: 'not-an-email', password: PASSWORD, role: 'user' }));
    assertError(r, { status: 400, message: validationMsg('CreateAccountDto', 'email', 'isEmail') });
  });

  test('password shorter than 8 -> 400 minLength', async () => {
    const s = session();
    const r = await rejection(s.user.cmdS('create_account', { email: uniqueEmail('x3'), password: 'short', role: 'user' }));
    assertError(r, { status: 400, message: validationMsg('CreateAccountDto', 'password', 'minLength') });
  });

  test('oversized password (JSON > 50 chars) -> 400 code 23', async () => {
    const s = session();
    const r = await rejection(
      s.user.cmdS('create_account', { email: uniqueEmail('x4'), password: 'p'.repeat(60), role: 'user' }),
    );
    assertError(r, {
      status: 400,
      code: 23,
      text: 'Field (password) size is too big. Add a @$MaxSize decorator on the field or increase defaultMaxSize.',
      data: { problemField: 'password', fieldSize: 62, maxSize: 50 },
    });
    assertKeys(JSON.parse(r.body.message).data, ['problemField', 'fieldSize', 'maxSize'], 'code 23 data');
  });

  test('unknown field -> 400 whitelistValidation', async () => {
    const s = session();
    const r = await rejection(
      s.user.cmdS('create_account', { email: uniqueEmail('x5'), password: PASSWORD, role: 'user', isAdmin: true }),
    );
    assertError(r, { status: 400, message: validationMsg('CreateAccountDto', 'isAdmin', 'whitelistValidation') });
  });
});

// ===========================================================================
describe('login', () => {
  test('returns {accessToken, userId}; JWT {rvkd, id, iat, exp}, 30 min', async () => {
    const s = session();
    const acc = await createAccount(s);
    await spaced(acc.email);
    const res = await s.user.login({ email: acc.email, password: acc.password });
    const r = last();
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assertKeys(res, ['accessToken', 'userId'], 'login body');
    assert.equal(res.userId, acc.userId);
    const { header, payload } = jwtParts(res.accessToken);
    assert.equal(header.alg, 'HS256');
    assert.equal(header.typ, 'JWT');
    for (const k of ['rvkd', 'id', 'iat', 'exp']) assert.ok(k in payload, `JWT payload must have ${k}`);
    assert.equal(payload.id, acc.userId);
    assert.equal(payload.rvkd, null, 'rvkd of a fresh account');
    assert.ok(Number.isInteger(payload.iat) && Number.isInteger(payload.exp));
    assert.equal(payload.exp - payload.iat, 1800);
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 300, 'iat is now');
    // the client stored the token
    assert.equal(s.token, res.accessToken);
    await checkJwtOk(s, acc.userId);
  });

  test('wrong password and unknown email -> 401 code 5, identical bodies', async () => {
    const s = session();
    const acc = await createAccount(s);
    await spaced(acc.email);
    const e1 = await quiet(() => s.user.login({ email: acc.email, password: 'wrong-password-1' }, true));
    const wrong = fromAxiosError(e1);
    assertError(wrong, { status: 401, code: 5, text: 'Invalid credentials' });
    assertNoJwtCookie(wrong.headers); // raised by the command, not by the guard

    const nobody = uniqueEmail('nobody');
    await spaced(nobody);
    const e2 = await quiet(() => s.user.login({ email: nobody, password: PASSWORD }, true));
    const unknown = fromAxiosError(e2);
    assertError(unknown, { status: 401, code: 5, text: 'Invalid credentials' });
    assert.deepEqual(unknown.body, wrong.body, 'same body for wrong password and unknown e-mail');

    // the client's own reaction: login() resolves to undefined on 401
    await spaced(acc.email);
    const plain = await quiet(() => s.user.login({ email: acc.email, password: 'wrong-password-2' }));
    assert.equal(plain, undefined);
    assert.equal(last().status, 401);
  });

  test('oversized password -> 400 code 23', async () => {
    const s = session();
    const acc = await createAccount(s);
    await spaced(acc.email);
    const r = await rejection(s.user.login({ email: acc.email, password: 'p'.repeat(70) }));
    assertError(r, {
      status: 400,
      code: 23,
      text: 'Field (password) size is too big. Add a @$MaxSize decorator on the field or increase defaultMaxSize.',
      data: { problemField: 'password', fieldSize: 72, maxSize: 50 },
    });
  });

  test('missing password -> 400 isString', async () => {
    const s = session();
    const acc = await createAccount(s);
    await spaced(acc.email);
    const r = await rejection(s.user.login({ email: acc.email }));
    assertError(r, { status: 400, message: validationMsg('LoginDto', 'password', 'isString') });
  });

  test('second login on the same e-mail within 600 ms -> 425 code 3', async () => {
    const s = session();
    const acc = await createAccount(s);
    await spaced(acc.email);
    const ok = await s.user.login({ email: acc.email, password: acc.password });
    assert.equal(ok.userId, acc.userId);
    const r = await rejection(s.user.login({ email: acc.email, password: acc.password }));
    markLogin(acc.email);
    assertError(r, {
      status: 425,
      error: 'Too early',
      code: 3,
      text: 'Too many login attempts. Please wait',
      order: ['statusCode', 'error', 'message'],
    });
    // after the throttle window, login works again
    await login(s, acc.email, acc.password);
  });
});

// ===========================================================================
describe('check_jwt', () => {
  test('valid token -> {accessToken:null, refreshTokenSec:null, userId}', async () => {
    const u = await newUser();
    await checkJwtOk(u.s, u.userId);
  });

  test('no token -> 401 "User not found." (checkJwt() returns null)', async () => {
    const s = session();
    assert.equal(await quiet(() => s.user.checkJwt()), null);
    const r = last();
    assertError({ status: r.status, body: r.data }, { status: 401, message: 'User not found.' });

    const rr = await raw('PATCH', '/crud/s/user/cmd/check_jwt', { body: {} });
    assertError(rr, { status: 401, message: 'User not found.' });
    assertNoJwtCookie(rr.headers); // raised by the command, not by the guard
  });

  test('garbage token -> 401 "invalid token", clears the cookie, client drops the token', async () => {
    const rr = await raw('PATCH', '/crud/s/user/cmd/check_jwt', { body: {}, token: 'not.a.jwt' });
    assertError(rr, { status: 401, message: 'invalid token' });
    assertClearsJwtCookie(rr.headers);
    assert.match(rr.headers.get('content-type') || '', /^application\/json/);

    const s = session();
    s.token = 'not.a.jwt';
    assert.equal(await quiet(() => s.user.checkJwt()), null);
    assert.ok(!s.token, 'the client dropped its token');
  });

  test('tampered token (payload changed, signature kept) -> 401 "invalid signature"', async () => {
    const a = await newUser('a');
    const b = await newUser('b');
    const forged = tamper(a.token, (p) => ({ ...p, id: b.userId }));
    const rr = await raw('PATCH', '/crud/s/user/cmd/check_jwt', { body: {}, token: forged });
    assertError(rr, { status: 401, message: 'invalid signature' });
    assertClearsJwtCookie(rr.headers);

    const s = session();
    s.token = forged;
    assert.equal(await quiet(() => s.user.checkJwt()), null);
  });
});

// ===========================================================================
describe('post', () => {
  test('create own post: 201, id + given fields + createdAt + updatedAt', async () => {
    const a = await newUser('a');
    const p = await a.s.post.create({ owner: a.userId, title: 'first', content: 'hello world', likes: 3 });
    const r = last();
    assert.equal(r.status, 201);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assertKeys(p, ['id', 'owner', 'title', 'content', 'likes', 'createdAt', 'updatedAt'], 'created post');
    assert.equal(typeof p.id, 'string');
    assert.ok(p.id.length > 0);
    assert.equal(p.owner, a.userId);
    assert.equal(p.title, 'first');
    assert.equal(p.content, 'hello world');
    assert.equal(p.likes, 3);
    assertIsoDate(p.createdAt, 'createdAt');
    assertIsoDate(p.updatedAt, 'updatedAt');
    assert.equal(p.createdAt, p.updatedAt);

    const p2 = await a.s.post.create({ owner: a.userId, title: 'second', published: true });
    assert.equal(last().status, 201);
    assertKeys(p2, ['id', 'owner', 'title', 'published', 'createdAt', 'updatedAt'], 'created post');
    assert.equal(p2.published, true);
    assert.notEqual(p2.id, p.id);
  });

  test('findOne own by {id, owner}: every column, unset ones null', async () => {
    const { a, first, second } = await userWithTwoPosts();
    const got = await a.s.post.findOne({ id: first.id, owner: a.userId });
    assert.equal(last().status, 200);
    assertKeys(got, POST_COLUMNS, 'findOne body');
    assert.deepEqual(got, {
      id: first.id,
      owner: a.userId,
      title: 'first',
      content: 'hello world',
      published: null,
      likes: 3,
      createdAt: first.createdAt,
      updatedAt: first.updatedAt,
    });
    const got2 = await a.s.post.findOne({ id: second.id, owner: a.userId });
    assert.deepEqual(got2, {
      id: second.id,
      owner: a.userId,
      title: 'second',
      content: null,
      published: true,
      likes: null,
      createdAt: second.createdAt,
      updatedAt: second.updatedAt,
    });
  });

  test('findOne without owner -> 403', async () => {
    const { a, first } = await userWithTwoPosts();
    const r = await rejection(a.s.post.findOne({ id: first.id }));
    assertError(r, {
      status: 403,
      message: 'Role user is not allowed to GET post - user failed on all - guest failed on all ',
    });
  });

  test('findOne of a missing id -> 200 null', async () => {
    const a = await newUser('a');
    const got = await a.s.post.findOne({ id: 'does-not-exist', owner: a.userId });
    assert.equal(last().status, 200);
    assert.equal(got, null);
    const rr = await raw('GET', '/crud/s/post/one', {
      token: a.token,
      options: {},
      query: { id: 'does-not-exist', owner: a.userId },
    });
    assert.equal(rr.status, 200);
    assert.equal(rr.text, 'null');
  });

  test('find own -> {data, total, limit:40}', async () => {
    const { a, first, second } = await userWithTwoPosts();
    const res = await a.s.post.find({ owner: a.userId });
    assert.equal(last().status, 200);
    assertKeys(res, ['data', 'total', 'limit'], 'find body');
    assert.equal(res.total, 2);
    assert.equal(res.limit, 40);
    assert.equal(res.data.length, 2);
    for (const d of res.data) assertKeys(d, POST_COLUMNS, 'find item');
    const byId = Object.fromEntries(res.data.map((d) => [d.id, d]));
    assert.deepEqual(Object.keys(byId).sort(), [first.id, second.id].sort());
    assert.equal(byId[first.id].title, 'first');
    assert.equal(byId[first.id].published, null);
    assert.equal(byId[second.id].content, null);
    assert.equal(byId[second.id].likes, null);
  });

  test('find with limit:1 -> {limit:1, total:2} (client and raw)', async () => {
    const { a, first, second } = await userWithTwoPosts();
    // the client does not page further when the answer's limit equals the requested one
    const res = await a.s.post.find({ owner: a.userId }, { limit: 1 });
    assertKeys(res, ['data', 'total', 'limit'], 'find body');
    assert.equal(res.total, 2);
    assert.equal(res.limit, 1);
    assert.equal(res.data.length, 1);
    assert.ok([first.id, second.id].includes(res.data[0].id));

    const rr = await raw('GET', '/crud/s/post/many', { token: a.token, options: { limit: 1 }, query: { owner: a.userId } });
    assert.equal(rr.status, 200);
    assertKeys(rr.body, ['data', 'total', 'limit'], 'raw find body');
    assert.equal(rr.body.total, 2);
    assert.equal(rr.body.limit, 1);
    assert.equal(rr.body.data.length, 1);
    assertKeys(rr.body.data[0], POST_COLUMNS, 'find item');
  });

  test('find over 40 rows: server caps at limit 40, client auto-paginates with offset', async () => {
    const a = await newUser('a');
    const n = 43;
    const ids = [];
    for (let i = 0; i < n; i++) {
      const p = await a.s.post.create({ owner: a.userId, title: 'p' + i });
      ids.push(p.id);
    }
    const rr = await raw('GET', '/crud/s/post/many', { token: a.token, options: {}, query: { owner: a.userId } });
    assert.equal(rr.status, 200);
    assert.equal(rr.body.total, n);
    assert.equal(rr.body.limit, 40);
    assert.equal(rr.body.data.length, 40);

    const rest = await raw('GET', '/crud/s/post/many', {
      token: a.token,
      options: { limit: 40, offset: 40 },
      query: { owner: a.userId },
    });
    assert.equal(rest.status, 200);
    assert.equal(rest.body.total, n);
    assert.equal(rest.body.data.length, n - 40);

    const all = await a.s.post.find({ owner: a.userId });
    assert.equal(all.total, n);
    assert.equal(all.limit, n, 'the client sets limit to the total after paging');
    assert.equal(all.data.length, n);
    assert.deepEqual(all.data.map((d) => d.id).sort(), [...ids].sort(), 'pages do not overlap');
  });

  test('find by owner and title', async () => {
    const { a, second } = await userWithTwoPosts();
    const res = await a.s.post.find({ owner: a.userId, title: 'second' });
    assertKeys(res, ['data', 'total', 'limit'], 'find body');
    assert.equal(res.total, 1);
    assert.equal(res.limit, 40);
    assert.equal(res.data.length, 1);
    assert.deepEqual(res.data[0], {
      id: second.id,
      owner: a.userId,
      title: 'second',
      content: null,
      published: true,
      likes: null,
      createdAt: second.createdAt,
      updatedAt: second.updatedAt,
    });
  });

  test('patchOne own -> {count:1}; change visible, updatedAt moves', async () => {
    const { a, first } = await userWithTwoPosts();
    await sleep(20);
    const res = await a.s.post.patchOne({ id: first.id, owner: a.userId }, { title: 'first (edited)', likes: 4 });
    assert.equal(last().status, 200);
    assert.deepEqual(res, { count: 1 });
    assertKeys(res, ['count'], 'patchOne body');
    const got = await a.s.post.findOne({ id: first.id, owner: a.userId });
    assertKeys(got, POST_COLUMNS, 'findOne body');
    assert.equal(got.title, 'first (edited)');
    assert.equal(got.likes, 4);
    assert.equal(got.content, 'hello world');
    assert.equal(got.createdAt, first.createdAt);
    assertIsoDate(got.updatedAt, 'updatedAt');
    assert.notEqual(got.updatedAt, first.updatedAt);
    assert.ok(Date.parse(got.updatedAt) > Date.parse(first.updatedAt), 'updatedAt later than before');
  });

  test('patchOne moving own post to another owner -> 403', async () => {
    const { a, first } = await userWithTwoPosts();
    const b = await newUser('b');
    const r = await rejection(a.s.post.patchOne({ id: first.id, owner: a.userId }, { owner: b.userId }));
    assertError(r, {
      status: 403,
      message: 'Role user is not allowed to PATCH post - user failed on owner - guest failed on owner ',
    });
    const got = await a.s.post.findOne({ id: first.id, owner: a.userId });
    assert.equal(got.owner, a.userId);
  });

  test('create: missing title -> 400 isString', async () => {
    const a = await newUser('a');
    const r = await rejection(a.s.post.create({ owner: a.userId, content: 'no title' }));
    assertError(r, { status: 400, message: validationMsg('Post', 'title', 'isString') });
  });

  test('create: oversized title -> 400 code 23', async () => {
    const a = await newUser('a');
    const r = await rejection(a.s.post.create({ owner: a.userId, title: 't'.repeat(60) }));
    assertError(r, {
      status: 400,
      code: 23,
      text: 'Field (title) size is too big. Add a @$MaxSize decorator on the field or increase defaultMaxSize.',
      data: { problemField: 'title', fieldSize: 62, maxSize: 50 },
    });
  });

  test('create: content of 900 within @$MaxSize(1000) accepted; deleteOne', async () => {
    const a = await newUser('a');
    const content = 'c'.repeat(900);
    const p = await a.s.post.create({ owner: a.userId, title: 'big', content });
    assert.equal(last().status, 201);
    assertKeys(p, ['id', 'owner', 'title', 'content', 'createdAt', 'updatedAt'], 'created post');
    assert.equal(p.content, content);
    const del = await a.s.post.deleteOne({ id: p.id, owner: a.userId });
    assert.equal(last().status, 200);
    assert.deepEqual(del, { count: 1 });
  });

  test('create: content of 1200 -> 400 code 23 (1202 > 1000)', async () => {
    const a = await newUser('a');
    const r = await rejection(a.s.post.create({ owner: a.userId, title: 'big', content: 'c'.repeat(1200) }));
    assertError(r, {
      status: 400,
      code: 23,
      text: 'Field (content) size is too big. Add a @$MaxSize decorator on the field or increase defaultMaxSize.',
      data: { problemField: 'content', fieldSize: 1202, maxSize: 1000 },
    });
  });

  test('create: likes "many" -> 400 max', async () => {
    const a = await newUser('a');
    const r = await rejection(a.s.post.create({ owner: a.userId, title: 'typed', likes: 'many' }));
    assertError(r, { status: 400, message: validationMsg('Post', 'likes', 'max') });
  });

  test('create: unknown field -> 400 whitelistValidation', async () => {
    const a = await newUser('a');
    const r = await rejection(a.s.post.create({ owner: a.userId, title: 'x', hacker: 1 }));
    assertError(r, { status: 400, message: validationMsg('Post', 'hacker', 'whitelistValidation') });
  });

  test('create for another owner -> 403', async () => {
    const a = await newUser('a');
    const b = await newUser('b');
    const r = await rejection(a.s.post.create({ owner: b.userId, title: 'not mine' }));
    assertError(r, {
      status: 403,
      message: 'Role user is not allowed to POST post - user failed on owner - guest failed on owner ',
    });
  });

  test('create as guest -> 403', async () => {
    const a = await newUser('a');
    const guest = session();
    const r = await rejection(guest.post.create({ owner: a.userId, title: 'anon' }));
    assertError(r, { status: 403, message: 'Role guest is not allowed to POST post - guest failed on owner ' });
  });

  test("another user on A's post: findOne/find/patchOne/deleteOne -> 403; A's post unchanged", async () => {
    const { a, first } = await userWithTwoPosts();
    const b = await newUser('b');
    const q = { id: first.id, owner: a.userId };

    let r = await rejection(b.s.post.findOne(q));
    assertError(r, {
      status: 403,
      message: 'Role user is not allowed to GET post - user failed on all - guest failed on all ',
    });

    const mine = await b.s.post.findOne({ id: first.id, owner: b.userId });
    assert.equal(last().status, 200);
    assert.equal(mine, null, 'findOne with its own owner finds nothing');

    r = await rejection(b.s.post.find({ owner: a.userId }));
    assertError(r, {
      status: 403,
      message: 'Role user is not allowed to GET post - user failed on all - guest failed on all ',
    });

    r = await rejection(b.s.post.patchOne(q, { title: 'pwned' }));
    assertError(r, {
      status: 403,
      message: 'Role user is not allowed to PATCH post - user failed on title - guest failed on title ',
    });

    r = await rejection(b.s.post.deleteOne(q));
    assertError(r, {
      status: 403,
      message: 'Role user is not allowed to DELETE post - user failed on all - guest failed on all ',
    });

    // B's token is still valid: 403s do not make the client drop it
    assert.equal(b.s.token, b.token);

    const guest = session();
    r = await rejection(guest.post.findOne(q));
    assertError(r, { status: 403, message: 'Role guest is not allowed to GET post - guest failed on all ' });

    const still = await a.s.post.findOne(q);
    assert.deepEqual(still, {
      id: first.id,
      owner: a.userId,
      title: 'first',
      content: 'hello world',
      published: null,
      likes: 3,
      createdAt: first.createdAt,
      updatedAt: first.updatedAt,
    });
  });

  test('deleteOne own -> {count:1}, then findOne -> null', async () => {
    const { a, second } = await userWithTwoPosts();
    const del = await a.s.post.deleteOne({ id: second.id, owner: a.userId });
    assert.equal(last().status, 200);
    assertKeys(del, ['count'], 'deleteOne body');
    assert.deepEqual(del, { count: 1 });
    assert.equal(await a.s.post.findOne({ id: second.id, owner: a.userId }), null);
    const res = await a.s.post.find({ owner: a.userId });
    assert.equal(res.total, 1);
  });
});

// ===========================================================================
describe('routing', () => {
  test('unknown service -> 400 "Service not found: nope-service"', async () => {
    const u = await newUser();
    const nope = u.s.client('nope-service');
    const r = await rejection(nope.find({}));
    assertError(r, { status: 400, message: 'Service not found: nope-service' });

    const rr = await raw('GET', '/crud/s/nope-service/many', { token: u.token, options: {}, query: {} });
    assertError(rr, { status: 400, message: 'Service not found: nope-service' });
  });

  test('unknown command -> 403 "Command no_such_cmd not found in security map"', async () => {
    const u = await newUser();
    const r = await rejection(u.s.user.cmdS('no_such_cmd', {}));
    assertError(r, { status: 403, message: 'Command no_such_cmd not found in security map' });
  });

  test('GET /crud/rdy -> true', async () => {
    const rr = await raw('GET', '/crud/rdy');
    assert.equal(rr.status, 200);
    assert.equal(rr.body, true);
    assert.ok(URL_BASE);
  });
});
