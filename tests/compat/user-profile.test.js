// The blog's own user entity through the real @eicrud/client: `displayName`
// from create_account to findOne, `bio` patched by its owner and refused to
// another user, and the managed account columns refused through CRUD for
// every role of the blog, admin included. ferrocrud's blog only (an eicrud
// server has no such fields): skipped unless COMPAT_PROFILE=1.
//
//   COMPAT_PROFILE=1 COMPAT_ADMIN_EMAIL=… COMPAT_ADMIN_PASSWORD=… node --test user-profile.test.js

import { describe, test as nodeTest } from 'node:test';
import {
  assert,
  createAccount,
  fromAxiosError,
  login,
  MOD_EMAIL,
  MOD_PASSWORD,
  newUser,
  PASSWORD,
  quiet,
  session,
  uniqueEmail,
} from './lib.js';

const PROFILE = process.env.COMPAT_PROFILE === '1';
const ADMIN_EMAIL = process.env.COMPAT_ADMIN_EMAIL || '';
const ADMIN_PASSWORD = process.env.COMPAT_ADMIN_PASSWORD || '';
const skip = PROFILE ? false : 'set COMPAT_PROFILE=1 to run the own-user-entity tests';
const test = (name, fn) => nodeTest(name, { skip }, fn);

/** `{status, body}` of a call that the server refuses. */
async function refused(promise) {
  const res = await quiet(() => promise.then((v) => v, (e) => e));
  assert.ok(res instanceof Error, `expected a refusal, got ${JSON.stringify(res)}`);
  return fromAxiosError(res);
}

/** A logged-in session of an existing account. */
async function sessionOf(email, password) {
  const s = session();
  await login(s, email, password);
  return s;
}

const MANAGED = {
  rvkd: 7,
  password: 'a-new-password-1',
  verifiedEmail: true,
  timeout: '2100-01-01T00:00:00.000Z',
  failedLoginCount: 0,
};

describe('own user entity', () => {
  test('displayName round-trips from create_account to findOne', async () => {
    const s = session();
    const email = uniqueEmail('profile');
    const res = await s.user.cmdS('create_account', {
      email,
      password: PASSWORD,
      role: 'user',
      displayName: 'Ann Example',
    });
    await login(s, email, PASSWORD);
    const me = await s.user.findOne({ id: res.userId });
    assert.equal(me.displayName, 'Ann Example');
    assert.equal(me.email, email);
    assert.ok(!('password' in me), 'the password hash is never sent');
  });

  test('bio is patched by its owner and refused to another user', async () => {
    const ann = await newUser('ann');
    const bob = await newUser('bob');
    await ann.s.user.patchOne({ id: ann.userId }, { bio: 'Writes about Rust.' });
    const me = await ann.s.user.findOne({ id: ann.userId });
    assert.equal(me.bio, 'Writes about Rust.');

    const r = await refused(bob.s.user.patchOne({ id: ann.userId }, { bio: 'pwned' }));
    assert.equal(r.status, 403, JSON.stringify(r.body));
    const again = await ann.s.user.findOne({ id: ann.userId });
    assert.equal(again.bio, 'Writes about Rust.');
  });

  test('managed columns and role are refused through CRUD to every role, admin included', async () => {
    assert.ok(ADMIN_EMAIL && ADMIN_PASSWORD, 'COMPAT_ADMIN_EMAIL and COMPAT_ADMIN_PASSWORD are set');
    const target = await newUser('target');
    const callers = {
      guest: session(),
      user: target.s,
      moderator: await sessionOf(MOD_EMAIL, MOD_PASSWORD),
      admin: await sessionOf(ADMIN_EMAIL, ADMIN_PASSWORD),
    };
    const before = await callers.admin.user.findOne({ id: target.userId });
    for (const [role, s] of Object.entries(callers)) {
      for (const [field, value] of Object.entries(MANAGED)) {
        const r = await refused(s.user.patchOne({ id: target.userId }, { [field]: value }));
        assert.equal(r.status, 400, `${role} patching ${field}: ${JSON.stringify(r.body)}`);
        assert.ok(r.body.message.includes(field), `${role} patching ${field}: the field is named`);
        const c = await refused(
          s.user.create({ email: uniqueEmail('c'), password: PASSWORD, role: 'user', [field]: value }),
        );
        assert.equal(c.status, 400, `${role} creating with ${field}: ${JSON.stringify(c.body)}`);
      }
      const r = await refused(s.user.patchOne({ id: target.userId }, { role: 'admin' }));
      assert.ok([401, 403].includes(r.status), `${role} patching role: ${r.status} ${JSON.stringify(r.body)}`);
      assert.notEqual(r.status, 200);
    }
    const after = await callers.admin.user.findOne({ id: target.userId });
    for (const field of ['role', 'rvkd', 'verifiedEmail', 'timeout', 'failedLoginCount']) {
      assert.deepEqual(after[field], before[field], `${field} unchanged`);
    }
    // The password did not change: the old one still logs in.
    await login(session(), target.email, PASSWORD);
  });
});
