#!/usr/bin/env python3
"""Hash overload: peak memory and answers under 200 concurrent logins.

    bench/overload.sh                        # DURATION=20 CONNECTIONS=200
    DURATION=5 bench/overload.sh             # a short run

Starts the blog (release build, PostgreSQL, a fresh database, no login
throttle, metrics on), reads its resident memory before any password was
hashed (the base), creates the login accounts, then runs wrk with
CONNECTIONS connections logging in for DURATION seconds while sampling
the process's peak RSS (VmHWM). Every few hundred milliseconds a probe
login checks the shape of an overload answer (503, Retry-After, code 117).

The bound (docs/operations.md): peak RSS <= (base + N x argon2 memory) x 1.2,
N being the hashing threads (one per core) and the argon2 memory the
default 19 MiB. Prints the figures as a markdown table and exits 1 when
the bound fails or no overload answer had the right shape.

Variables: DURATION [20], CONNECTIONS [200], THREADS [2], LOGIN_ACCOUNTS [400],
ARGON2_MIB [19], HASH_THREADS [cores], OVERLOAD_PORT [3530], OVERLOAD_DB
[ferrocrud_overload], and benchlib's (BLOG_BIN, PG_URL, ...).
"""

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import benchlib as B

B.LOG_NAME = "overload"
DURATION = B.env_int("DURATION", 20, 1)
CONNECTIONS = B.env_int("CONNECTIONS", 200, 1)
THREADS = B.env_int("THREADS", 2, 1)
LOGIN_ACCOUNTS = B.env_int("LOGIN_ACCOUNTS", 400, 1)
ARGON2_MIB = B.env_float("ARGON2_MIB", 19.0)
HASH_THREADS = B.env_int("HASH_THREADS", B.NCPU, 1)


def scrape(port):
    """The metrics the blog serves, as {series: value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def probe_overload(base, email, stop, seen):
    """Logs in now and then; records the first 503 answer's shape."""
    body = json.dumps({"email": email, "password": B.PASSWORD}).encode()
    while not stop.is_set():
        request = urllib.request.Request(base + "/crud/s/user/cmd/login", data=body, method="PATCH",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30):
                pass
        except urllib.error.HTTPError as err:
            if err.code == 503 and "answer" not in seen:
                seen["answer"] = {"status": err.code, "retry_after": err.headers.get("Retry-After"),
                                  "code": json.loads(err.read() or b"{}").get("code")}
        except OSError:
            pass
        stop.wait(0.3)


def main():
    server = B.Ferrocrud(name="overload", port_var="OVERLOAD_PORT", port=3530, db_var="OVERLOAD_DB",
                         db="ferrocrud_overload", env={"LOGIN_THROTTLE_MS": "0"})
    metrics_port = server.port + 6000  # benchlib's metrics address
    server.prepare()
    pid = server.start()
    try:
        time.sleep(1)
        base_kib = B.mem_kib(pid, "VmRSS")
        setup = B.Setup(server.base, login_accounts=LOGIN_ACCOUNTS)
        after_setup_kib = B.mem_kib(pid, "VmRSS")
        stop, seen = threading.Event(), {}
        probe = threading.Thread(target=probe_overload, args=(server.base, setup.mixed["email"], stop, seen))
        probe.start()
        extra = dict(setup.login_env(), BENCH_THREADS=THREADS)
        p = subprocess.run(B.wrk_cmd("login.lua", server.base, DURATION, CONNECTIONS, THREADS),
                           env=B.wrk_env(extra), capture_output=True, text=True, timeout=DURATION + 90)
        stop.set()
        probe.join()
        result = B.wrk_parse(p.stdout, p.stderr, p.returncode)
        peak_kib = B.mem_kib(pid, "VmHWM")
        metrics = scrape(metrics_port)
    finally:
        server.stop()
        server.cleanup()

    base = base_kib / 1024
    peak = peak_kib / 1024
    bound = (base + HASH_THREADS * ARGON2_MIB) * 1.2
    logins = {k.split('"')[1]: int(v) for k, v in metrics.items() if k.startswith("ferrocrud_logins_total{")}
    rejected = int(metrics.get("ferrocrud_password_hash_rejections_total", 0))
    answer = seen.get("answer")
    shape_ok = answer == {"status": 503, "retry_after": "1", "code": 117}
    print(f"\n## Hash overload ({CONNECTIONS} connections logging in for {DURATION} s)\n")
    print("| measure | value |\n|---|---|")
    print(f"| base RSS, before any hash | {base:.1f} MiB |")
    print(f"| RSS after creating {LOGIN_ACCOUNTS} accounts | {after_setup_kib / 1024:.1f} MiB |")
    print(f"| peak RSS (VmHWM) | {peak:.1f} MiB |")
    print(f"| bound: (base + {HASH_THREADS} x {ARGON2_MIB:g} MiB) x 1.2 | {bound:.1f} MiB |")
    print(f"| login requests answered (wrk) | {result['requests']} ({result['rps']}/s), "
          f"non-2xx {result['non2xx']}, socket errors {result['errors']} |")
    print(f"| logins by outcome (metrics) | {', '.join(f'{k} {v}' for k, v in logins.items() if v)} |")
    print(f"| hashes refused (metrics) | {rejected} |")
    print(f"| p50 / p99 latency | {result['p50_ms']} / {result['p99_ms']} ms |")
    print(f"| an overload answer | {answer} |")
    failed = []
    if peak > bound:
        failed.append(f"peak RSS {peak:.1f} MiB above the bound {bound:.1f} MiB")
    if not shape_ok:
        failed.append(f"no overload answer of the expected shape: {answer}")
    if result["errors"]:
        failed.append(f"socket errors: {result['errors_detail']}")
    for reason in failed:
        B.log("FAIL: " + reason)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
