#!/usr/bin/env python3
"""Login timing: are the answers to four kinds of failed login told apart by their time?

    bench/timing.sh                       (builds the blog, then runs this)
    TRIES=200 bench/timing.sh             (a short run)
    python3 bench/timing.py               (with a blog binary already built)

The blog (release build, BLOG_BIN) is started on a fresh PostgreSQL database, with
the login throttle shortened to LOGIN_THROTTLE_MS. Four classes of login attempt, all
`PATCH /crud/s/user/cmd/login` with @eicrud/client's headers and the same wrong
password (the same length, so the same hashing work):

  unknown     an e-mail no account has                        expected 401 code 5
  wrong       a verified account (verify_email done)          expected 401 code 5
  locked      a verified account locked out                   expected 429 code 3
  unverified  an account whose e-mail was never verified      expected 401 code 5

The blog does not refuse unverified accounts at login (login does not read
`verifiedEmail`, and no option makes it): with the right password an unverified
account gets 200 and a token, which the script checks and prints. What is compared
is therefore a wrong password on an unverified account against the other classes.

An identifier is locked out after `max_failed_logins` (6) failures in a row, so
every class but `locked` takes its identifiers from a pool, each used 6 times at
most (8 identifiers in turn, then the next 8): none of them ever gets locked.
The locked accounts (8, used in turn) are locked through the wire (6 wrong
passwords, then a 429 is checked); then, since a lockout lasts failures² seconds
(36 s after 6) and the run lasts longer, their `failedLoginCount` is set to 18 and
`lastLoginAttempt` to now in the database (the longest wait, `max_lockout`, 300 s),
and renewed every RELOCK_SECONDS between tries (never during one).

For each of the 6 pairs of classes, 2 × TRIES tries on one keep-alive connection,
interleaved: TRIES blocks of one try of each class, in a random order within the
block (seed printed). Each try's wall time is taken client-side with
time.perf_counter_ns around the request and the whole answer. Before the pairs,
WARMUP_TRIES tries of each class warm the server up: they are reported, not counted
in the statistics. Nothing else is dropped. Every answer's status and code are
checked against its class: any other answer makes the run invalid (exit 2).

Printed per pair: n, mean, median and standard deviation of each class, and Welch's
|t|; exit 1 when any |t| >= T_LIMIT, 0 otherwise.

Environment (defaults in brackets):
  TRIES [1000]          tries of each class in each pair
  WARMUP_TRIES [48]     warm-up tries of each class before the pairs (not counted)
  LOGIN_THROTTLE_MS [1] the blog's login throttle (600 in production; 0 turns it off)
  T_LIMIT [4.5]         |t| at or above which a pair fails
  SEED [time-based]     seed of the order within blocks
  RELOCK_SECONDS [60]   how often the lockouts are renewed (between tries)
  TIMING_PORT [3510]    TIMING_DB [ferrocrud_timing]
  BLOG_BIN, PG_URL, BENCH_WORK: see bench/benchlib.py
"""

import concurrent.futures
import datetime
import itertools
import json
import math
import os
import random
import statistics
import sys
import time
from http.client import HTTPConnection

import benchlib
from benchlib import PASSWORD, RUN_ID, WORK, WireError, account, create_account, env_float, env_int, http, log

benchlib.LOG_NAME = "timing"

TRIES = env_int("TRIES", 1000, 2)
WARMUP_TRIES = env_int("WARMUP_TRIES", 48, 0)
LOGIN_THROTTLE_MS = env_int("LOGIN_THROTTLE_MS", 1, 0)
RELOCK_SECONDS = env_int("RELOCK_SECONDS", 60, 5)
T_LIMIT = env_float("T_LIMIT", 4.5)
SEED = env_int("SEED", int(time.time()))

CLASSES = ("unknown", "wrong", "locked", "unverified")
EXPECTED = {"unknown": (401, 5), "wrong": (401, 5), "locked": (429, 3), "unverified": (401, 5)}
WRONG_PASSWORD = "wrong-pass-123"  # as long as PASSWORD: the same hashing work
assert len(WRONG_PASSWORD) == len(PASSWORD)
MAX_FAILURES = 6  # UserOptions::max_failed_logins, the blog's
IN_TURN = 8  # identifiers of a class used in turn
LOCKED_COUNT = 18  # failures whose wait (18² s) is past max_lockout (300 s)
LOGIN_PATH = "/crud/s/user/cmd/login"
HEADERS = {
    "Accept": "application/json, text/plain, */*",
    "Content-Type": "application/json",
    "User-Agent": "axios/1.21.1",
    "Accept-Encoding": "gzip, compress, deflate, br",
    "Connection": "keep-alive",
}


def email(kind, i):
    """As benchlib.account names the account of a tag."""
    return f"{RUN_ID}.{kind}{i}@bench.test"


class Pools:
    """The identifiers of each class, handed out so that none takes more than
    MAX_FAILURES failures: IN_TURN identifiers in turn, MAX_FAILURES rounds, then
    the next IN_TURN."""

    def __init__(self, per_class):
        self.size = math.ceil(per_class / (IN_TURN * MAX_FAILURES)) * IN_TURN
        self.used = dict.fromkeys(CLASSES, 0)

    def next(self, kind):
        k = self.used[kind]
        self.used[kind] = k + 1
        if kind == "locked":
            return email(kind, k % IN_TURN)
        batch, j = divmod(k, IN_TURN * MAX_FAILURES)
        i = batch * IN_TURN + j % IN_TURN
        if i >= self.size:
            raise RuntimeError(f"pool of {kind} identifiers exhausted")
        return email(kind, i)


def coded(text):
    """The eicrud error code of an answer, if any."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


class Client:
    """One keep-alive connection; each try timed with perf_counter_ns."""

    def __init__(self, port):
        self.port = port
        self.conn = HTTPConnection("127.0.0.1", port, timeout=60)

    def login(self, identifier, password):
        body = json.dumps({"email": identifier, "password": password}, separators=(",", ":"))
        t0 = time.perf_counter_ns()
        self.conn.request("PATCH", LOGIN_PATH, body=body, headers=HEADERS)
        answer = self.conn.getresponse()
        text = answer.read()
        t1 = time.perf_counter_ns()
        if answer.getheader("connection", "").lower() == "close":
            self.reconnect()
        return t1 - t0, answer.status, text.decode(errors="replace")

    def reconnect(self):
        self.conn.close()
        self.conn = HTTPConnection("127.0.0.1", self.port, timeout=60)

    def close(self):
        self.conn.close()


def verify(base, server_dir, acc):
    """send_verification_email, then verify_email with the token the mail log holds."""
    http(base, "POST", "/crud/s/user/cmd/send_verification_email", {}, token=acc["token"], expect=201)
    token = None
    with open(os.path.join(server_dir, "mail.jsonl")) as f:
        for line in f:
            mail = json.loads(line)
            if mail.get("kind") == "email_verification" and mail.get("to") == acc["email"]:
                token = mail.get("token")
    if not token:
        raise WireError(f"no verification mail for {acc['email']}")
    http(base, "POST", "/crud/s/user/cmd/verify_email", {"token_id": token}, expect=201)


def in_parallel(fn, items):
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(fn, items))


class Locks:
    """Holds the locked accounts locked out at the longest wait."""

    def __init__(self, db):
        self.db = db
        self.last = 0.0

    def renew(self, force=False):
        if not force and time.monotonic() - self.last < RELOCK_SECONDS:
            return
        emails = ", ".join(f"'{email('locked', i)}'" for i in range(IN_TURN))  # our own literals
        benchlib.psql(self.db, f'update "user" set failed_login_count = {LOCKED_COUNT}, '
                               f'last_login_attempt = now() where email in ({emails})')
        self.last = time.monotonic()


def set_up(server, pools):
    """Creates the accounts of each class; answers what each class gets, checked once."""
    base = server.base
    t0 = time.monotonic()
    # wrong: verified accounts (create_account, login, send_verification_email, verify_email)
    log(f"creating {pools.size} verified accounts (class wrong), {pools.size} unverified ones and "
        f"{IN_TURN} to lock")

    def verified(i):
        acc = account(base, f"wrong{i}")
        verify(base, server.dir, acc)

    in_parallel(verified, range(pools.size))
    in_parallel(lambda i: create_account(base, email("unverified", i)), range(pools.size))
    in_parallel(lambda i: create_account(base, email("locked", i)), range(IN_TURN))
    counts = benchlib.psql_value(
        server.db,
        "select count(*) filter (where verified_email and email like '%.wrong%'), "
        "count(*) filter (where verified_email and email like '%.unverified%') from \"user\"")
    log(f"set up in {time.monotonic() - t0:.0f} s; verifiedEmail true on {counts.replace('|', ' wrong / ')} "
        f"unverified accounts")
    return counts


def lock(client):
    """Locks the locked accounts through the wire; answers the first 429 seen."""
    seen = None
    for i in range(IN_TURN):
        for _ in range(MAX_FAILURES):
            _, status, text = client.login(email("locked", i), WRONG_PASSWORD)
            if (status, coded(text)) != (401, 5):
                raise WireError(f"locking {email('locked', i)}: {status} {text}")
        _, status, text = client.login(email("locked", i), WRONG_PASSWORD)
        if (status, coded(text)) != (429, 3):
            raise WireError(f"{email('locked', i)} not locked after {MAX_FAILURES} failures: {status} {text}")
        seen = seen or f"{status} {text}"
    return seen


def try_class(client, pools, locks, kind):
    locks.renew()
    dt, status, text = client.login(pools.next(kind), WRONG_PASSWORD)
    return dt, status, coded(text), text


def summary(values_ns):
    ms = [v / 1e6 for v in values_ns]
    return {"n": len(ms), "mean": statistics.fmean(ms), "median": statistics.median(ms),
            "sd": statistics.stdev(ms) if len(ms) > 1 else 0.0, "min": min(ms), "max": max(ms)}


def welch(a, b):
    """Welch's t of two summaries, and its degrees of freedom."""
    va, vb = a["sd"] ** 2 / a["n"], b["sd"] ** 2 / b["n"]
    se = math.sqrt(va + vb)
    if se == 0:
        return (0.0 if a["mean"] == b["mean"] else math.inf), float(a["n"] + b["n"] - 2)
    t = (a["mean"] - b["mean"]) / se
    df = (va + vb) ** 2 / ((va ** 2 / (a["n"] - 1)) + (vb ** 2 / (b["n"] - 1))) if va + vb else 0.0
    return t, df


def outcomes(rows):
    """'401 code 5 ×1000' for the answers of one class."""
    counts = {}
    for _, status, code, _ in rows:
        counts[(status, code)] = counts.get((status, code), 0) + 1
    return ", ".join(f"{s} code {c} ×{n}" for (s, c), n in sorted(counts.items(), key=lambda x: str(x[0])))


def main():
    started = datetime.datetime.now(datetime.timezone.utc)
    model, mem = benchlib.machine_info()
    load0 = benchlib.loadavg()
    rng = random.Random(SEED)
    pairs = list(itertools.combinations(CLASSES, 2))
    pools = Pools(1 + WARMUP_TRIES + (len(CLASSES) - 1) * TRIES)  # the check, the warm-up, 3 pairs
    server = benchlib.Ferrocrud("timing", port_var="TIMING_PORT", port=3510, db_var="TIMING_DB",
                                db="ferrocrud_timing", env={"LOGIN_THROTTLE_MS": LOGIN_THROTTLE_MS})
    server.prepare()
    log(f"{benchlib.NCPU} CPUs ({model}); load average {load0}; starting the blog on {server.base} "
        f"(LOGIN_THROTTLE_MS={LOGIN_THROTTLE_MS})")
    invalid = []
    results = []
    checks = {}
    client = None
    try:
        server.start()
        client = Client(server.port)
        verified_counts = set_up(server, pools)
        locked_answer = lock(client)
        locks = Locks(server.db)
        locks.renew(force=True)
        # What each class gets, once, and what an unverified account gets with its password.
        log("what each class gets (one try each):")
        for kind in CLASSES:
            _, status, code, text = try_class(client, pools, locks, kind)
            checks[kind] = f"{status} code {code}: {text}"
            log(f"  {kind:10} {checks[kind]}")
            if (status, code) != EXPECTED[kind]:
                invalid.append(f"{kind}: {status} code {code}, expected {EXPECTED[kind]}")
        _, status, text = client.login(email("unverified", pools.size - 1), PASSWORD)
        checks["unverified, right password"] = f"{status}: {text[:60]}…"
        log(f"  unverified account, right password: {status} (the blog does not refuse unverified accounts)")
        log(f"  locking: 6 wrong passwords, then {locked_answer}")
        if invalid:
            raise RuntimeError("a class does not get its own answer: " + "; ".join(invalid))

        if WARMUP_TRIES:
            log(f"warm-up: {WARMUP_TRIES} tries of each class in turn (not counted in the statistics)")
            warm = {k: [] for k in CLASSES}
            for _ in range(WARMUP_TRIES):
                for kind in CLASSES:
                    warm[kind].append(try_class(client, pools, locks, kind))
            for kind in CLASSES:
                s = summary([r[0] for r in warm[kind]])
                log(f"  warm-up {kind:10} mean {s['mean']:.2f} ms, median {s['median']:.2f} ms; {outcomes(warm[kind])}")
                bad = [r for r in warm[kind] if (r[1], r[2]) != EXPECTED[kind]]
                if bad:
                    invalid.append(f"warm-up {kind}: {len(bad)} unexpected answers, e.g. {bad[0][1]} {bad[0][3][:200]}")

        for a, b in pairs:
            locks.renew(force=True)
            rows = {a: [], b: []}
            t0 = time.monotonic()
            for _ in range(TRIES):
                block = [a, b] if rng.random() < 0.5 else [b, a]
                for kind in block:
                    rows[kind].append(try_class(client, pools, locks, kind))
            sa, sb = summary([r[0] for r in rows[a]]), summary([r[0] for r in rows[b]])
            t, df = welch(sa, sb)
            rec = {"a": a, "b": b, "A": sa, "B": sb, "t": t, "df": df, "seconds": round(time.monotonic() - t0, 1),
                   "outcomes": {a: outcomes(rows[a]), b: outcomes(rows[b])},
                   "times_ns": {a: [r[0] for r in rows[a]], b: [r[0] for r in rows[b]]}}
            for kind in (a, b):
                bad = [r for r in rows[kind] if (r[1], r[2]) != EXPECTED[kind]]
                if bad:
                    invalid.append(f"{a}/{b}: {kind} got {len(bad)} unexpected answers, "
                                   f"e.g. {bad[0][1]} {bad[0][3][:200]}")
            results.append(rec)
            log(f"{a:10} vs {b:10} |t| {abs(t):6.2f}  means {sa['mean']:.2f} / {sb['mean']:.2f} ms  "
                f"medians {sa['median']:.2f} / {sb['median']:.2f} ms  sd {sa['sd']:.2f} / {sb['sd']:.2f} ms  "
                f"({rec['seconds']} s; {rec['outcomes'][a]} | {rec['outcomes'][b]})")
    finally:
        if client:
            client.close()
        server.stop()
        server.cleanup()

    load1 = benchlib.loadavg()
    commit = benchlib.checkout()
    command = os.environ.get("BENCH_COMMAND") or "python3 bench/timing.py"
    out = []
    w = out.append
    w(f"#### Login timing, {started:%Y-%m-%d %H:%M} UTC")
    w("")
    w(f"`{command}` at commit `{commit}`  ")
    w(f"Machine: {benchlib.NCPU} CPUs ({model}), {mem} GiB, shared with other work; load average "
      f"{load0} at start, {load1} at the end.  ")
    w(f"The blog (release) on PostgreSQL, LOGIN_THROTTLE_MS={LOGIN_THROTTLE_MS}; {TRIES} tries of each class "
      f"per pair, interleaved in blocks of two in random order (seed {SEED}), one keep-alive connection, "
      f"time per request client-side (perf_counter_ns); before the pairs {WARMUP_TRIES} warm-up tries of each "
      f"class, not counted; nothing else dropped.  ")
    w(f"Answers: unknown, wrong, unverified → 401 code 5; locked → 429 code 3. An unverified account with "
      f"its right password: {checks.get('unverified, right password', '?').split(':')[0]} (not refused). "
      f"verifiedEmail true on {verified_counts.replace('|', ' wrong / ')} unverified accounts.")
    w("")
    w(f"| pair | n | mean ms | median ms | sd ms | \\|t\\| | < {T_LIMIT} |")
    w("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        ok = abs(r["t"]) < T_LIMIT
        w(f"| {r['a']} / {r['b']} | {r['A']['n']} / {r['B']['n']} | {r['A']['mean']:.2f} / {r['B']['mean']:.2f} | "
          f"{r['A']['median']:.2f} / {r['B']['median']:.2f} | {r['A']['sd']:.2f} / {r['B']['sd']:.2f} | "
          f"{abs(r['t']):.2f} | {'yes' if ok else '**no**'} |")
    w("")
    table = "\n".join(out)
    os.makedirs(WORK, exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    raw = os.path.join(WORK, f"timing-{stamp}.json")
    with open(raw, "w") as f:
        json.dump({"started": started.isoformat(), "commit": commit, "seed": SEED, "tries": TRIES,
                   "warmup_tries": WARMUP_TRIES, "login_throttle_ms": LOGIN_THROTTLE_MS, "checks": checks,
                   "invalid": invalid, "pairs": results}, f)
    print()
    print(table)
    print(f"(every time, in ns: {raw})")
    if invalid:
        print("timing: NOT A RESULT: " + "; ".join(invalid), file=sys.stderr)
        sys.exit(2)
    failed = [f"{r['a']}/{r['b']}" for r in results if abs(r["t"]) >= T_LIMIT]
    if failed:
        print(f"timing: |t| >= {T_LIMIT} for {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
