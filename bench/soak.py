#!/usr/bin/env python3
"""Soak: the blog under a steady mixed load at about half its capacity for
SOAK_MINUTES, sampled every minute; does its memory, its file descriptors or its
latency drift?

    bench/soak.sh                         (installs wrk, builds the blog, then runs this)
    SOAK_MINUTES=3 bench/soak.sh          (a short run, to try it out)
    python3 bench/soak.py                 (with a blog binary already built)

The blog (release build, BLOG_BIN) is started on a fresh PostgreSQL database and set
up as the load benchmark sets it up (bench/benchlib.py's Setup: accounts, tokens, an
owned post, LOGIN_ACCOUNTS accounts to log in); the tokens live 30 minutes, so the
accounts log in again every 10 minutes, between two minutes of load. The load is one wrk process running
bench/wrk/mix.lua, which mixes the request scripts of the load benchmark
(bench/wrk/check_jwt.lua, find_one.lua, create.lua, login.lua) at random by weight
(MIX), each request being one of those scripts' requests exactly.

1. Capacity: the mix at full speed (no pacing) for CAPACITY_SECONDS, after
   CAPACITY_WARMUP seconds not counted.
2. The soak: the same mix paced at LOAD_FRACTION of that rate (wrk's delay() hook,
   see mix.lua), in runs of one minute each, back to back. Every minute: the
   server's VmRSS (/proc/PID/status) and open file descriptors (/proc/PID/fd), both
   read half-way through the minute, while the load runs; its CPU over the minute;
   the p50/p99 latency and the rate of that minute (wrk's histogram of the minute).

The first minute is a warm-up: the bounds compare the minutes after it.
  - RSS growth, last minute against the first after the warm-up: < RSS_LIMIT_PCT (10 %)
  - file descriptors flat: the last minute's count at most FD_SLACK above the first's
  - p99 drift, median of the last 5 minutes against the median of the first 5
    (fewer when the run is shorter): < P99_LIMIT_PCT (20 %)
Exit 1 when a bound fails, 2 when any answer was not 2xx or a socket error occurred
(not a result), 0 otherwise.

Environment (defaults in brackets):
  SOAK_MINUTES [30]       minutes of paced load (the first is the warm-up; at least 2)
  LOAD_FRACTION [0.5]     of the capacity measured
  CAPACITY_SECONDS [20]   CAPACITY_WARMUP [5]
  MIX [check_jwt=50,findOne=30,create=19.5,login=0.5]   weights of the scenarios
  CONNECTIONS [32]        THREADS [2]      LOGIN_ACCOUNTS [128]
  RSS_LIMIT_PCT [10]      FD_SLACK [2]     P99_LIMIT_PCT [20]
  SOAK_PORT [3520]        SOAK_DB [ferrocrud_soak]
  BLOG_BIN, PG_URL, BENCH_WORK: see bench/benchlib.py
"""

import datetime
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import benchlib
from benchlib import HZ, NCPU, WORK, env_float, env_int, log, mem_kib, mib, pid_jiffies, probe, scenario_load

benchlib.LOG_NAME = "soak"

SOAK_MINUTES = env_int("SOAK_MINUTES", 30, 2)
CAPACITY_SECONDS = env_int("CAPACITY_SECONDS", 20, 1)
CAPACITY_WARMUP = env_int("CAPACITY_WARMUP", 5, 0)
CONNECTIONS = env_int("CONNECTIONS", 32, 1)
THREADS = min(env_int("THREADS", 2, 1), CONNECTIONS)
LOGIN_ACCOUNTS = env_int("LOGIN_ACCOUNTS", 128, 1)
FD_SLACK = env_int("FD_SLACK", 2, 0)


LOAD_FRACTION = env_float("LOAD_FRACTION", 0.5)
RSS_LIMIT_PCT = env_float("RSS_LIMIT_PCT", 10)
P99_LIMIT_PCT = env_float("P99_LIMIT_PCT", 20)
SCRIPTS = {"check_jwt": "check_jwt.lua", "findOne": "find_one.lua", "create": "create.lua", "login": "login.lua"}


def parse_mix(text):
    mix = {}
    for part in text.split(","):
        name, _, weight = part.strip().partition("=")
        if name not in SCRIPTS:
            sys.exit(f"soak: MIX names {name!r} (known: {', '.join(SCRIPTS)})")
        try:
            mix[name] = float(weight)
        except ValueError:
            sys.exit(f"soak: MIX weight of {name} is {weight!r}")
    return mix


MIX = parse_mix(os.environ.get("MIX") or "check_jwt=50,findOne=30,create=19.5,login=0.5")
WINDOW = 5  # minutes compared at each end for the p99 drift
RENEW_S = 600  # the scenarios' tokens are renewed this often: they live 30 minutes (the blog's default)


def mix_env(setup, rate):
    """The environment of bench/wrk/mix.lua: each scenario's variables under its name."""
    extra = {"BENCH_MIX": ",".join(f"{name}:{SCRIPTS[name]}:{w}" for name, w in MIX.items()),
             "BENCH_RATE": f"{rate:.1f}"}
    for name in MIX:
        script, env = scenario_load(setup, name)
        assert script == SCRIPTS[name]
        env = dict(env, BENCH_THREADS=THREADS)
        extra.update({f"{name}__{k}": v for k, v in env.items()})
    return extra


# How far each wrk thread's login rotation went, over all runs so far: each run
# continues it, so that no e-mail is tried again within the login throttle when a
# run starts.
rotation = {}


def run_mix(base, seconds, setup, rate):
    cmd = benchlib.wrk_cmd("mix.lua", base, seconds, CONNECTIONS, THREADS)
    extra = dict(mix_env(setup, rate), BENCH_THREADS=THREADS)
    for (name, thread), sent in rotation.items():
        period = len(range(thread, LOGIN_ACCOUNTS, THREADS)) if name == "login" else 0
        extra[f"BENCH_CONTINUE_{name}_{thread}"] = sent % period if period else sent
    p = subprocess.run(cmd, env=benchlib.wrk_env(extra), capture_output=True, text=True, timeout=seconds + 90)
    r = benchlib.wrk_parse(p.stdout, p.stderr, p.returncode)
    other = {}
    for line in p.stdout.splitlines():
        words = line.split()
        if words[:1] == ["MIX_SENT"] and len(words) == 4:
            rotation[(words[1], int(words[2]))] = int(words[3])
        elif words[:1] == ["MIX_STATUS"] and len(words) == 3:
            for part in words[2].split(","):
                status, _, count = part.partition(":")
                other[status] = other.get(status, 0) + int(count)
    r["non2xx_by_status"] = other
    return r


def renew_tokens(setup):
    """Logs the scenarios' accounts in again, as a client renews its token before it expires."""
    for acc in (setup.jwt, setup.find, setup.create):
        r = benchlib.http(setup.base, "PATCH", "/crud/s/user/cmd/login",
                          {"email": acc["email"], "password": benchlib.PASSWORD}, expect=200)
        acc["token"] = r["accessToken"]


def open_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def minute(server, setup, rate, n):
    """One minute of paced load; the server's RSS and fds half-way through."""
    pid = server.pid
    sample = {}

    def midway():
        time.sleep(30)
        sample["rss_mib"] = mib(mem_kib(pid, "VmRSS"))
        sample["fds"] = open_fds(pid)

    sampler = threading.Thread(target=midway, daemon=True)
    j0 = pid_jiffies(pid)
    t0 = time.monotonic()
    sampler.start()
    r = run_mix(server.base, 60, setup, rate)
    sampler.join(timeout=60)
    secs = time.monotonic() - t0
    r.update(sample, minute=n, cpu_pct=round((pid_jiffies(pid) - j0) / HZ / secs * 100),
             loadavg1=round(os.getloadavg()[0], 2))
    return r


def median(values):
    return statistics.median(values) if values else None


def bounds(minutes):
    """The three bounds over the minutes after the warm-up: (name, value, limit text, ok)."""
    after = minutes[1:]
    first, last = after[0], after[-1]
    rss_growth = (last["rss_mib"] - first["rss_mib"]) / first["rss_mib"] * 100
    fds = [m["fds"] for m in after]
    k = min(WINDOW, max(1, len(after) // 2))
    p99_first = median([m["p99_ms"] for m in after[:k]])
    p99_last = median([m["p99_ms"] for m in after[-k:]])
    drift = (p99_last - p99_first) / p99_first * 100
    return [
        (f"RSS, minute {last['minute']} against minute {first['minute']}",
         f"{first['rss_mib']} → {last['rss_mib']} MiB ({rss_growth:+.1f} %)", f"< {RSS_LIMIT_PCT:g} %",
         rss_growth < RSS_LIMIT_PCT),
        ("open file descriptors", f"{first['fds']} → {last['fds']} (min {min(fds)}, max {max(fds)})",
         f"last ≤ first + {FD_SLACK}", last["fds"] <= first["fds"] + FD_SLACK),
        (f"p99, median of the last {k} minutes against the first {k}",
         f"{p99_first:.2f} → {p99_last:.2f} ms ({drift:+.1f} %)", f"< {P99_LIMIT_PCT:g} %",
         drift < P99_LIMIT_PCT),
    ]


def main():
    started = datetime.datetime.now(datetime.timezone.utc)
    model, mem = benchlib.machine_info()
    load0 = benchlib.loadavg()
    server = benchlib.Ferrocrud("soak", port_var="SOAK_PORT", port=3520, db_var="SOAK_DB", db="ferrocrud_soak")
    server.prepare()
    log(f"{NCPU} CPUs ({model}); load average {load0}; starting the blog on {server.base}")
    minutes = []
    try:
        server.start()
        setup = benchlib.Setup(server.base, LOGIN_ACCOUNTS, "login" in MIX)
        for name in MIX:
            probe(setup, name)
        rss_start = mib(mem_kib(server.pid, "VmRSS"))
        log(f"set up; RSS {rss_start} MiB, {open_fds(server.pid)} fds. Capacity: the mix "
            f"({', '.join(f'{n} {w:g}' for n, w in MIX.items())}) at full speed, {CONNECTIONS} connections, "
            f"{CAPACITY_WARMUP} s + {CAPACITY_SECONDS} s")
        if CAPACITY_WARMUP:
            run_mix(server.base, CAPACITY_WARMUP, setup, 0)
        capacity = run_mix(server.base, CAPACITY_SECONDS, setup, 0)
        rate = capacity["rps"] * LOAD_FRACTION
        log(f"capacity {capacity['rps']:.0f} req/s (p99 {capacity['p99_ms']} ms, non-2xx {capacity['non2xx']}, "
            f"errors {capacity['errors']}; login rotation per thread {sorted(rotation.items())}); "
            f"soak at {rate:.0f} req/s for {SOAK_MINUTES} minutes")
        renewed = time.monotonic()
        for n in range(1, SOAK_MINUTES + 1):
            if not benchlib.alive(server.pid):
                raise RuntimeError(f"the blog (pid {server.pid}) died")
            if time.monotonic() - renewed >= RENEW_S:
                renew_tokens(setup)
                renewed = time.monotonic()
            m = minute(server, setup, rate, n)
            minutes.append(m)
            log(f"minute {n:2}{' (warm-up)' if n == 1 else '':10} {m['rps']:8.0f} req/s  p50 {m['p50_ms']:6.2f} ms  "
                f"p99 {m['p99_ms']:6.2f} ms  RSS {m['rss_mib']} MiB  fds {m['fds']}  cpu {m['cpu_pct']} %  "
                f"non-2xx {m['non2xx']} {m['non2xx_by_status'] or ''}  errors {m['errors']}  (load {m['loadavg1']})")
        rss_end = mib(mem_kib(server.pid, "VmRSS"))
        hwm = mib(mem_kib(server.pid, "VmHWM"))
    finally:
        server.stop()
        server.cleanup()

    load1 = benchlib.loadavg()
    commit = benchlib.checkout()
    invalid = [f"minute {m['minute']}: {m['non2xx']} non-2xx {m['non2xx_by_status']}, {m['errors']} socket errors"
               for m in minutes if m["non2xx"] or m["errors"]]
    if capacity["non2xx"] or capacity["errors"]:
        invalid.append(f"capacity run: {capacity['non2xx']} non-2xx, {capacity['errors']} socket errors")
    checks = bounds(minutes)
    out = []
    w = out.append
    w(f"#### Soak, {started:%Y-%m-%d %H:%M} UTC")
    w("")
    w(f"`{os.environ.get('BENCH_COMMAND') or 'python3 bench/soak.py'}` at commit `{commit}`  ")
    w(f"Machine: {NCPU} CPUs ({model}), {mem} GiB, shared with other work; load average {load0} at start, "
      f"{load1} at the end.  ")
    w(f"The blog (release) on PostgreSQL. Mix of the load benchmark's requests: "
      f"{', '.join(f'{n} {w_:g} %' for n, w_ in MIX.items())}; wrk, {CONNECTIONS} connections, {THREADS} threads. "
      f"Capacity at full speed: {capacity['rps']:.0f} req/s (p99 {capacity['p99_ms']} ms, {CAPACITY_SECONDS} s); "
      f"held at {rate:.0f} req/s ({LOAD_FRACTION:g} of it) for {SOAK_MINUTES} minutes, the first a warm-up. "
      f"RSS {rss_start} MiB after set-up, {rss_end} MiB at the end, VmHWM {hwm} MiB.  ")
    w("Validity: " + ("; ".join(invalid) if invalid else
                      f"0 non-2xx answers and 0 socket errors in {sum(m['requests'] for m in minutes):,} requests."))
    w("")
    w("| bound | value | limit | |")
    w("|---|---|---|---|")
    for name, value, limit, ok in checks:
        w(f"| {name} | {value} | {limit} | {'met' if ok else '**not met**'} |")
    w("")
    w(f"Every minute (req/s: those answered, of {rate:.0f} sent for; the server's CPU in % of one core; the "
      f"machine's 1-minute load average at the end of the minute):")
    w("")
    w("| minute | req/s | p50 ms | p99 ms | max ms | RSS MiB | fds | server CPU | load |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in minutes:
        w(f"| {m['minute']}{' (warm-up)' if m['minute'] == 1 else ''} | {m['rps']:.0f} | {m['p50_ms']:.2f} | "
          f"{m['p99_ms']:.2f} | {m['max_ms']:.1f} | {m['rss_mib']} | {m['fds']} | {m['cpu_pct']} % | "
          f"{m['loadavg1']} |")
    w("")
    table = "\n".join(out)
    os.makedirs(WORK, exist_ok=True)
    raw = os.path.join(WORK, f"soak-{started:%Y%m%d-%H%M%S}.json")
    with open(raw, "w") as f:
        json.dump({"started": started.isoformat(), "commit": commit, "mix": MIX, "capacity": capacity,
                   "login_rotation": {f"{n}_{t}": v for (n, t), v in rotation.items()},
                   "rate": rate, "minutes": minutes, "bounds": checks, "invalid": invalid}, f, indent=1)
    print()
    print(table)
    print(f"(raw figures: {raw})")
    if invalid:
        print("soak: NOT A RESULT: " + "; ".join(invalid), file=sys.stderr)
        sys.exit(2)
    if not all(ok for *_, ok in checks):
        print("soak: a bound is not met", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
