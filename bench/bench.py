#!/usr/bin/env python3
"""Load benchmark of eicrud-compatible servers (driven by bench/run.sh).

Starts each server in turn on a fresh database, sets up accounts, tokens and
owned posts through the eicrud wire (as @eicrud/client would), drives it with
wrk and the Lua scripts of bench/wrk/, samples the server's CPU and memory from
/proc, stops it, and after ROUNDS alternating rounds prints markdown tables of
the medians: ferrocrud (the blog example) as a fraction of the ceiling and as a
multiple of eicrud, and, given BASELINE_BIN, as a fraction of another build of the
blog. Python 3.9+ standard library only. Every request goes to 127.0.0.1; every
wait is bounded.

In a round every server is started (each on a fresh database) and set up, then
each scenario is measured on one server after the other, back to back, in an order
that rotates from round to round: the runs a ratio compares are seconds apart, and
every ratio is reported per round (paired), with its median and spread.

    python3 bench/bench.py                              (bench/run.sh runs this)
    python3 bench/bench.py --report results-<time>.json (prints the tables of a run again)

Environment (defaults in brackets):
  DURATION [15]  measured seconds per scenario     WARMUP [3]  seconds before each (not counted)
  ROUNDS [3]     alternating rounds (medians)       CONNECTIONS [32]  wrk connections
  THREADS [2]    wrk threads                        LOGIN_ACCOUNTS [128]  login pool (>= 128)
  SERVERS [ferrocrud,eicrud,ceiling]                SCENARIOS [rdy,check_jwt,findOne,create,login,mixed]
  MIXED_LOGIN_CONNECTIONS [16]  login connections that saturate hashing in `mixed`
  MIXED_RAMP [1]  seconds of login load before check_jwt is measured in a loaded window of `mixed`
  MIXED_WINDOW [4]  seconds of each check_jwt window in `mixed` (DURATION does not apply to it)
  MIXED_PAIRS [6]  pairs of windows (alone, with logins) per round in `mixed`, alternating which is first
  SETTLE_MAX [30] seconds to wait at most for an idle server between scenarios
  BENCH_WORK [/tmp/ferrocrud-bench]  scratch dir: peer copies, logs, results
  PEERS_DIR [../shared/peers]       where eicrud-server/ and ceiling/ are copied from (beside the checkout)
  BLOG_BIN [$CARGO_TARGET_DIR/release/blog]   PG_URL [postgres://postgres@127.0.0.1:5432]
  BASELINE_BIN []  another build of the blog, measured as server `baseline` (added to SERVERS)
  BASELINE_LABEL [baseline]  what the report calls that build (bench/run.sh: its commit)
  BASELINE_ENV []  variables for the baseline server only, `K=V` separated by commas: with
                   BASELINE_BIN the blog's own binary and BASELINE_ENV=METRICS_ADDR=off, the
                   report gives what a setting costs (the metrics' overhead: BENCHMARKS.md)
  FERROCRUD_PORT [3500] BASELINE_PORT [3501] EICRUD_PORT [3100] CEILING_PORT [3600]
  FERROCRUD_DB [ferrocrud_bench] BASELINE_DB [ferrocrud_bench_baseline]
  (the peers' start.sh drop and re-create `eicrud_peer` and `ceiling`)
"""

import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

from benchlib import (
    BLOG_BIN, HZ, NCPU, WORK, Server, Setup, alive, env_int, env_list, log, machine_info,
    machine_jiffies, mem_kib, mib, pid_jiffies, probe, scenario_load, wait_exit, wait_ready, wrk_cmd,
    wrk_env, wrk_parse,
)
import benchlib

DURATION = env_int("DURATION", 15, 1)
WARMUP = env_int("WARMUP", 3, 0)
ROUNDS = env_int("ROUNDS", 3, 1)
CONNECTIONS = env_int("CONNECTIONS", 32, 1)
THREADS = min(env_int("THREADS", 2, 1), CONNECTIONS)
LOGIN_ACCOUNTS = env_int("LOGIN_ACCOUNTS", 128, 1)
MIXED_LOGIN_CONNECTIONS = env_int("MIXED_LOGIN_CONNECTIONS", 16, 1)
MIXED_RAMP = env_int("MIXED_RAMP", 1, 0)
MIXED_WINDOW = env_int("MIXED_WINDOW", 4, 1)
MIXED_PAIRS = env_int("MIXED_PAIRS", 6, 1)
SETTLE_MAX = env_int("SETTLE_MAX", 30, 1)
SERVERS = env_list("SERVERS", "ferrocrud,eicrud,ceiling")
BASELINE_BIN = os.environ.get("BASELINE_BIN", "").strip()
BASELINE_LABEL = os.environ.get("BASELINE_LABEL", "").strip() or "baseline"
BASELINE_ENV = dict(pair.split("=", 1) for pair in env_list("BASELINE_ENV", "") if "=" in pair)
if BASELINE_BIN and "baseline" not in SERVERS:
    SERVERS.insert(1, "baseline")
SCENARIOS = env_list("SCENARIOS", "rdy,check_jwt,findOne,create,login,mixed")
PEERS_DIR = os.environ.get("PEERS_DIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers")
)

KNOWN_SERVERS = ("ferrocrud", "baseline", "eicrud", "ceiling")
KNOWN_SCENARIOS = ("rdy", "check_jwt", "findOne", "create", "login", "mixed")
for s in SERVERS:
    if s not in KNOWN_SERVERS:
        sys.exit(f"bench: unknown server {s} (known: {', '.join(KNOWN_SERVERS)})")
if "baseline" in SERVERS and not BASELINE_BIN:
    sys.exit("bench: the server `baseline` needs BASELINE_BIN (bench/run.sh sets it from BASELINE=<commit>)")
SAME_WITHIN = 0.03  # a build is as fast as the baseline when the median paired ratio is >= 1 - this
for s in SCENARIOS:
    if s not in KNOWN_SCENARIOS:
        sys.exit(f"bench: unknown scenario {s} (known: {', '.join(KNOWN_SCENARIOS)})")
SCENARIOS = [s for s in KNOWN_SCENARIOS if s in SCENARIOS]  # fixed order

# Targets of issue #12: ferrocrud's req/s as a fraction of the ceiling's.
TARGETS = {"check_jwt": 0.80, "findOne": 0.70, "create": 0.75, "login": 0.90}
# Targets of issue #24 (bounded hashing): check_jwt under a saturating login load.
MIXED_KEEP_TARGET = 0.80  # its throughput / alone
MIXED_P99_TARGET = 2.5  # its p99 / alone


# ---------------------------------------------------------------- /proc


class Monitor:
    """Server CPU and VmRSS (sampled every 100 ms) while a load runs."""

    def __init__(self, pid, max_seconds):
        self.pid = pid
        self.max_samples = int(max_seconds * 10) + 10
        self.peak_kib = mem_kib(pid, "VmRSS") or 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        for _ in range(self.max_samples):
            if self._stop.wait(0.1):
                return
            v = mem_kib(self.pid, "VmRSS")
            if v and v > self.peak_kib:
                self.peak_kib = v

    def __enter__(self):
        self.j0 = pid_jiffies(self.pid)
        self.m0 = machine_jiffies()
        self.t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        secs = max(time.monotonic() - self.t0, 1e-3)
        busy1, total1 = machine_jiffies()
        self.cpu_s = (pid_jiffies(self.pid) - self.j0) / HZ
        self.cpu_pct = round(self.cpu_s / secs * 100)
        dt = max(total1 - self.m0[1], 1)
        self.machine_busy_pct = round((busy1 - self.m0[0]) / dt * 100)
        self.rss_peak_mib = mib(self.peak_kib)
        return False


def settle(pid):
    """Waits (at most SETTLE_MAX s) until the server uses < 5 % of a core over
    one second. Returns (seconds waited, machine busy % in that last second:
    the load of everything but us, since nothing of ours runs then)."""
    busy_pct = None
    for i in range(SETTLE_MAX):
        a = pid_jiffies(pid)
        m0 = machine_jiffies()
        time.sleep(1)
        m1 = machine_jiffies()
        busy_pct = round((m1[0] - m0[0]) / max(m1[1] - m0[1], 1) * 100)
        if pid_jiffies(pid) - a <= HZ * 0.05:
            return i + 1, busy_pct
    return SETTLE_MAX, busy_pct


# ---------------------------------------------------------------- wire


def wrk(script, base, duration, extra, connections=CONNECTIONS, threads=THREADS):
    extra = dict(extra, BENCH_THREADS=threads)
    p = subprocess.run(wrk_cmd(script, base, duration, connections, threads), env=wrk_env(extra),
                       capture_output=True, text=True, timeout=duration + 90)
    return wrk_parse(p.stdout, p.stderr, p.returncode)


# ---------------------------------------------------------------- servers


def copy_peer(name):
    """A writable copy of a peer under BENCH_WORK (refreshed from PEERS_DIR,
    keeping its node_modules/, dist/, target/ and run/ between runs)."""
    src = os.path.join(PEERS_DIR, name)
    dst = os.path.join(WORK, name)
    if not os.path.isdir(src):
        raise RuntimeError(f"peer {src} not found (set PEERS_DIR)")
    os.makedirs(dst, exist_ok=True)
    subprocess.run(["chmod", "-R", "u+w", dst], check=True, timeout=120)
    subprocess.run(["cp", "-R", "--preserve=timestamps", src + "/.", dst], check=True, timeout=300)
    subprocess.run(["chmod", "-R", "u+w", dst], check=True, timeout=120)
    return dst


class Ferrocrud(benchlib.Ferrocrud):
    """examples/blog, release build, PostgreSQL, a fresh database each start."""

    @classmethod
    def baseline(cls):
        settings = "".join(f", {k}={v}" for k, v in BASELINE_ENV.items())
        return cls("baseline", BASELINE_BIN, "BASELINE_PORT", 3501, "BASELINE_DB", "ferrocrud_bench_baseline",
                   f"examples/blog at {BASELINE_LABEL} (release, `{BASELINE_BIN}`{settings})", env=BASELINE_ENV)


class PeerScript(Server):
    """A peer started and stopped by its own start.sh / stop.sh, in a copy."""

    start_timeout = 1800  # first start installs/builds

    def prepare(self):
        self.dir = copy_peer(self.peer)

    def start_env(self):
        raise NotImplementedError

    def start(self):
        self.check_port()
        pidfile = os.path.join(self.dir, "run", "server.pid")
        logpath = os.path.join(WORK, f"{self.name}-start.log")
        with open(logpath, "ab") as logf:
            p = subprocess.run(["./start.sh"], cwd=self.dir, env=self.start_env(), stdout=logf, stderr=logf,
                               stdin=subprocess.DEVNULL, timeout=self.start_timeout)
        if p.returncode != 0:
            raise RuntimeError(f"{self.name}: ./start.sh failed (exit {p.returncode}); see {logpath}")
        with open(pidfile) as f:
            self.pid = int(f.read().strip())
        wait_ready(self.base, self.pid, 60)
        return self.pid

    def stop(self):
        pid = self.pid
        subprocess.run(["./stop.sh"], cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
        if pid and not wait_exit(pid, 15):
            os.kill(pid, signal.SIGKILL)
            wait_exit(pid, 5)
        self.pid = None

    def cleanup(self):
        pass


class Eicrud(PeerScript):
    name = "eicrud"
    peer = "eicrud-server"

    def __init__(self):
        self.port = env_int("EICRUD_PORT", 3100)
        self.describe = "peers/eicrud-server (`RESET_DB=1 ./start.sh`: NODE_ENV=production, fresh database `eicrud_peer`)"

    def start_env(self):
        env = dict(os.environ)
        for k in ("PGDATABASE", "PGUSER", "PGPASSWORD", "PGHOST", "PGPORT", "JWT_SECRET", "MAIL_LOG", "NODE_ENV"):
            env.pop(k, None)  # start.sh's own defaults
        env.update({"PORT": str(self.port), "RESET_DB": "1"})
        return env


class Ceiling(PeerScript):
    name = "ceiling"
    peer = "ceiling"

    def __init__(self):
        self.port = env_int("CEILING_PORT", 3600)
        self.describe = "peers/ceiling (`./start.sh`: release build, fresh database `ceiling`)"

    def start_env(self):
        env = dict(os.environ)
        env.pop("CARGO_TARGET_DIR", None)  # start.sh runs target/release/ceiling of its own dir
        env.pop("DATABASE_URL", None)
        env["PORT"] = str(self.port)
        return env


# ---------------------------------------------------------------- scenarios


def measure(server, setup, scenario):
    pid = server.pid
    probe(setup, scenario)
    warm = None
    if WARMUP > 0:
        script, extra = scenario_load(setup, scenario)
        warm = wrk(script, server.base, WARMUP, extra)
    waited, background = settle(pid)
    load1 = os.getloadavg()[0]
    script, extra = scenario_load(setup, scenario)
    with Monitor(pid, DURATION + 90) as mon:
        r = wrk(script, server.base, DURATION, extra)
    r.update(cpu_pct=mon.cpu_pct, machine_busy_pct=mon.machine_busy_pct, rss_peak_mib=mon.rss_peak_mib,
             cpu_us_per_request=round(mon.cpu_s / r["requests"] * 1e6, 2) if r["requests"] else None,
             rss_after_mib=mib(mem_kib(pid, "VmRSS")), settle_s=waited, background_busy_pct=background,
             loadavg1_before=round(load1, 2),
             warmup_non2xx=warm["non2xx"] if warm else 0, warmup_errors=warm["errors"] if warm else 0)
    return r


def measure_mixed(server, setup):
    """check_jwt alone and check_jwt while MIXED_LOGIN_CONNECTIONS log in without
    pause, in MIXED_PAIRS pairs of MIXED_WINDOW-second windows, alternating which
    comes first (ABBA): each ratio pairs two windows seconds apart, so that the
    machine's drift (another tenant, a frequency change) falls on both sides."""
    pid = server.pid
    probe(setup, "mixed")
    jwt_env = {"BENCH_TOKEN": setup.mixed["token"]}
    warm = wrk("check_jwt.lua", server.base, WARMUP, jwt_env) if WARMUP > 0 else None
    waited, background = settle(pid)
    login_seconds = MIXED_RAMP + MIXED_WINDOW + 1
    extra = dict(setup.login_env(), BENCH_THREADS=1)

    def alone():
        with Monitor(pid, MIXED_WINDOW + 90) as mon:
            r = wrk("check_jwt.lua", server.base, MIXED_WINDOW, jwt_env)
        r.update(cpu_pct=mon.cpu_pct, rss_peak_mib=mon.rss_peak_mib)
        return r, None

    def loaded():
        proc = subprocess.Popen(wrk_cmd("login.lua", server.base, login_seconds, MIXED_LOGIN_CONNECTIONS, 1),
                                env=wrk_env(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            with Monitor(pid, login_seconds + 90) as mon:
                time.sleep(MIXED_RAMP)
                r = wrk("check_jwt.lua", server.base, MIXED_WINDOW, jwt_env)
                out, err = proc.communicate(timeout=login_seconds + 90)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        r.update(cpu_pct=mon.cpu_pct, rss_peak_mib=mon.rss_peak_mib)
        # The logins still queued when their load stopped finish before the next window.
        time.sleep(1)
        return r, wrk_parse(out, err, proc.returncode)

    pairs = []
    for i in range(MIXED_PAIRS):
        first, second = (alone, loaded) if i % 2 == 0 else (loaded, alone)
        a, b = first(), second()
        (x, _), (y, login) = (a, b) if first is alone else (b, a)
        pairs.append({"alone": x, "loaded": y, "login": login,
                      "keep": round(y["rps"] / x["rps"], 3) if x["rps"] else None,
                      "p99_factor": round(y["p99_ms"] / x["p99_ms"], 2) if x["p99_ms"] else None})

    def summary(kind, key):
        return med([p[kind][key] for p in pairs])

    def total(kind, key):
        return sum(p[kind][key] for p in pairs)

    side = {kind: {"rps": summary(kind, "rps"), "p99_ms": summary(kind, "p99_ms"),
                   "cpu_pct": summary(kind, "cpu_pct"), "rss_peak_mib": max(p[kind]["rss_peak_mib"] or 0 for p in pairs),
                   "non2xx": total(kind, "non2xx"), "errors": total(kind, "errors")}
            for kind in ("alone", "loaded")}
    side["login"] = {"rps": summary("login", "rps"), "non2xx": total("login", "non2xx"),
                     "errors": total("login", "errors")}
    return {
        **side, "pairs": pairs, "settle_s": waited, "background_busy_pct": background,
        "keep": med([p["keep"] for p in pairs]),
        "p99_factor": med([p["p99_factor"] for p in pairs]),
        # for the validity and RSS columns
        "non2xx": side["alone"]["non2xx"] + side["loaded"]["non2xx"] + side["login"]["non2xx"],
        "warmup_non2xx": warm["non2xx"] if warm else 0, "warmup_errors": warm["errors"] if warm else 0,
        "errors": side["alone"]["errors"] + side["loaded"]["errors"] + side["login"]["errors"],
        "rss_peak_mib": max(side["alone"]["rss_peak_mib"], side["loaded"]["rss_peak_mib"]),
    }


def start_server(server, round_no):
    """Starts a server on a fresh database and sets up what the scenarios need."""
    log(f"round {round_no}: starting {server.name} on {server.base}")
    t0 = time.monotonic()
    pid = server.start()
    rec = {"server": server.name, "round": round_no, "pid": pid, "scenarios": {}}
    rec["rss_idle_mib"] = mib(mem_kib(pid, "VmRSS"))
    log(f"{server.name}: pid {pid}, ready after {time.monotonic() - t0:.1f} s, RSS {rec['rss_idle_mib']} MiB; "
        f"setting up accounts ({LOGIN_ACCOUNTS} for login) through the wire")
    t1 = time.monotonic()
    setup = Setup(server.base, LOGIN_ACCOUNTS, "login" in SCENARIOS or "mixed" in SCENARIOS)
    rec["setup_s"] = round(time.monotonic() - t1, 1)
    rec["rss_after_setup_mib"] = mib(mem_kib(pid, "VmRSS"))
    return rec, setup


def run_scenario(server, setup, sc):
    pid = server.pid
    if not alive(pid):
        raise RuntimeError(f"{server.name} (pid {pid}) died")
    if sc == "mixed":
        r = measure_mixed(server, setup)
        a, lo = r["alone"], r["loaded"]
        log(f"{server.name:9} mixed      check_jwt alone {a['rps']:>9.1f} req/s p99 {a['p99_ms']:.2f} ms | "
            f"with {MIXED_LOGIN_CONNECTIONS} login conns {lo['rps']:>9.1f} req/s p99 {lo['p99_ms']:.2f} ms "
            f"(logins {r['login']['rps']:.1f}/s) | keep {r['keep']:.3f} p99 x{r['p99_factor']:.2f} | "
            f"non2xx {r['non2xx']} errors {r['errors']}")
    else:
        r = measure(server, setup, sc)
        log(f"{server.name:9} {sc:10} {r['rps']:>9.1f} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  "
            f"non2xx {r['non2xx']}  errors {r['errors']}  cpu {r['cpu_pct']}%  rss peak {r['rss_peak_mib']} MiB  "
            f"(machine {r['machine_busy_pct']}% busy; {r['background_busy_pct']}% while idle)")
    return r


def rotated(items, k):
    k %= len(items)
    return items[k:] + items[:k]


def run_round(servers, round_no):
    """Starts every server, then measures each scenario on one server after the
    other (the order rotates with the round and the scenario), then stops them."""
    live = []  # (server, record, setup)
    try:
        for server in rotated(servers, round_no - 1):
            live.append((server,) + start_server(server, round_no))
        for i, sc in enumerate(SCENARIOS):
            for server, rec, setup in rotated(live, round_no - 1 + i):
                rec["scenarios"][sc] = run_scenario(server, setup, sc)
    finally:
        for server, rec, _ in live:
            if server.pid:
                rec["vm_hwm_mib"] = mib(mem_kib(server.pid, "VmHWM"))
                rec["rss_end_mib"] = mib(mem_kib(server.pid, "VmRSS"))
            try:
                server.stop()
            except Exception as e:  # noqa: BLE001 - stop the others all the same
                log(f"stopping {server.name} failed: {e}")
            log(f"{server.name}: stopped; VmHWM {rec.get('vm_hwm_mib')} MiB")
    return [rec for _, rec, _ in live]


# ---------------------------------------------------------------- report


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=None):
    if v is None:
        return "–"
    if digits is None:
        digits = 0 if abs(v) >= 100 else (1 if abs(v) >= 10 else 2)
    return f"{v:,.{digits}f}".replace(",", " ")


def pct(v):
    return "–" if v is None else f"{v * 100:.0f} %"


def times(v):
    return "–" if v is None else (f"{v:.1f}×" if v >= 10 else f"{v:.2f}×")


def ratio(a, b):
    return a / b if a is not None and b else None


def spread(ratios):
    return "–" if not ratios else f"{min(ratios) * 100:.0f}–{max(ratios) * 100:.0f} %"


def rounds_pct(ratios):
    return "–" if not ratios else ", ".join(f"{r * 100:.0f}" for r in ratios)


def verdict(ok):
    return "–" if ok is None else ("**met**" if ok else "**not met**")


def report(records, started, info):
    by = {}  # (server, scenario) -> list of per-round results
    per_round = {}  # (server, scenario) -> {round: result}
    for rec in records:
        for sc, r in rec["scenarios"].items():
            by.setdefault((rec["server"], sc), []).append(r)
            per_round.setdefault((rec["server"], sc), {})[rec["round"]] = r

    def paired(a, b, sc, value=lambda r: r["rps"]):
        """a / b for each round in which both ran the scenario (the runs are seconds apart)."""
        ra, rb = per_round.get((a, sc), {}), per_round.get((b, sc), {})
        out = []
        for n in sorted(ra):
            if n in rb:
                x, y = value(ra[n]), value(rb[n])
                if x is not None and y:
                    out.append(x / y)
        return out

    def m(server, sc, key):
        return med([r[key] for r in by.get((server, sc), [])])

    def mm(server, key, sub):
        return med([r[sub][key] for r in by.get((server, "mixed"), [])])

    invalid = []
    for (server, sc), rs in sorted(by.items()):
        bad = sum(r["non2xx"] + r.get("warmup_non2xx", 0) for r in rs)
        err = sum(r["errors"] + r.get("warmup_errors", 0) for r in rs)
        if bad or err:
            invalid.append(f"{server} {sc}: {bad} non-2xx, {err} socket errors")

    F, B, C, E = "ferrocrud", "baseline", "ceiling", "eicrud"
    has = {s: any(rec["server"] == s for rec in records) for s in KNOWN_SERVERS}
    out = []
    w = out.append
    w(f"### Load benchmark, {started:%Y-%m-%d %H:%M} UTC")
    w("")
    w(f"`{info['command']}`  ")
    w(f"DURATION={DURATION}s measured (+{WARMUP}s warm-up) per scenario, ROUNDS={ROUNDS} alternating, "
      f"CONNECTIONS={CONNECTIONS}, wrk {THREADS} threads, LOGIN_ACCOUNTS={LOGIN_ACCOUNTS}, "
      f"mixed: {MIXED_LOGIN_CONNECTIONS} login connections. In each round every server runs, and each scenario "
      f"is measured on one server after the other (order rotating). Req/s, latencies and memory are medians of "
      f"the rounds; a ratio is the median of the per-round ratios (each pairs two runs seconds apart), "
      f"with their spread (lowest–highest).  ")
    w(f"Machine: {NCPU} CPUs ({info['cpu_model']}), {info['mem_gib']} GiB; load average at start "
      f"{info['loadavg_start']}; machine busy while the server under test sat idle between scenarios: "
      f"median {fmt(info['background_busy_median'], 0)} % (max {fmt(info['background_busy_max'], 0)} %) of all CPUs "
      f"— {info['machine_note']}.  ")
    w("Servers: " + "; ".join(f"**{k}** = {v}" for k, v in info["servers"].items()) + ".")
    w("")
    if ROUNDS < 3:
        w(f"**ROUNDS={ROUNDS}: fewer than 3 rounds, a trial, not a result.**")
        w("")
    if invalid:
        w("**NOT A RESULT: some runs had non-2xx answers or socket errors:** " + "; ".join(invalid))
    else:
        n = sum(len(v) for v in by.values())
        w(f"Validity: 0 non-2xx answers and 0 socket errors in all {n} measured runs (and their warm-ups).")
    w("")
    w("| scenario | ferrocrud req/s | ceiling req/s | eicrud req/s | ferrocrud / ceiling | spread | per round | "
      "target | | ferrocrud / eicrud |")
    w("|---|---:|---:|---:|---:|---|---|---|---|---:|")
    for sc in [s for s in SCENARIOS if s != "mixed"]:
        f, c, e = m(F, sc, "rps"), m(C, sc, "rps"), m(E, sc, "rps")
        fc = paired(F, C, sc)
        tgt = TARGETS.get(sc)
        ok = None if tgt is None or not fc else med(fc) >= tgt
        w(f"| {sc} | {fmt(f)} | {fmt(c)} | {fmt(e)} | {pct(med(fc))} | {spread(fc)} | {rounds_pct(fc)} | "
          f"{'≥ ' + pct(tgt) if tgt else '–'} | {verdict(ok)} | {times(med(paired(F, E, sc)))} |")
    w("")
    if has[B]:
        w(f"Against another build: **baseline** = {BASELINE_LABEL}. Same within {SAME_WITHIN * 100:.0f} % when "
          f"the median of the per-round ratios is at least {pct(1 - SAME_WITHIN)}. Server CPU per request is "
          f"the server's CPU time over the measured window divided by its requests.")
        w("")
        w("| scenario | ferrocrud req/s | baseline req/s | ferrocrud / baseline | spread | per round | "
          f"within {SAME_WITHIN * 100:.0f} % | | CPU µs/request ferrocrud | baseline | ferrocrud / baseline | "
          "ferrocrud / ceiling | baseline / ceiling |")
        w("|---|---:|---:|---:|---|---|---|---|---:|---:|---:|---:|---:|")
        for sc in [s for s in SCENARIOS if s != "mixed"]:
            fb = paired(F, B, sc)
            cpu_f, cpu_b = m(F, sc, "cpu_us_per_request"), m(B, sc, "cpu_us_per_request")
            cpu_fb = paired(F, B, sc, lambda r: r.get("cpu_us_per_request"))
            ok = None if not fb else med(fb) >= 1 - SAME_WITHIN
            w(f"| {sc} | {fmt(m(F, sc, 'rps'))} | {fmt(m(B, sc, 'rps'))} | {pct(med(fb))} | {spread(fb)} | "
              f"{rounds_pct(fb)} | {verdict(ok)} | | {fmt(cpu_f)} | {fmt(cpu_b)} | {times(med(cpu_fb))} | "
              f"{pct(med(paired(F, C, sc)))} | {pct(med(paired(B, C, sc)))} |")
        w("")
    w("Latency (ms; wrk, closed loop, 32 connections):")
    w("")
    w("| scenario | p50 ferrocrud | p50 ceiling | p50 eicrud | p99 ferrocrud | p99 ceiling | p99 eicrud | "
      "p99 ferrocrud / ceiling | p99 ferrocrud / eicrud |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for sc in [s for s in SCENARIOS if s != "mixed"]:
        p99 = [m(s, sc, "p99_ms") for s in (F, C, E)]
        p50 = [m(s, sc, "p50_ms") for s in (F, C, E)]
        w(f"| {sc} | " + " | ".join(fmt(v) for v in p50) + " | " + " | ".join(fmt(v) for v in p99) +
          f" | {times(ratio(p99[0], p99[1]))} | {times(ratio(p99[0], p99[2]))} |")
    w("")
    rss = {s: med([rec.get("vm_hwm_mib") for rec in records if rec["server"] == s]) for s in KNOWN_SERVERS}
    load_peak = {s: med([max([r.get("rss_peak_mib") or 0 for r in rec["scenarios"].values()] or [0])
                         for rec in records if rec["server"] == s]) for s in KNOWN_SERVERS}
    idle = {s: med([rec.get("rss_idle_mib") for rec in records if rec["server"] == s]) for s in KNOWN_SERVERS}
    w("Memory (MiB; /proc/<pid>/status of the server process, median of the rounds):")
    w("")
    w("| server | RSS after start | peak VmRSS under load (sampled /100 ms) | VmHWM (whole life: set-up + load) | "
      "ferrocrud VmHWM / this |")
    w("|---|---:|---:|---:|---:|")
    for s in (F, B, C, E):
        if has[s]:
            w(f"| {s} | {fmt(idle[s])} | {fmt(load_peak[s])} | {fmt(rss[s])} | "
              f"{'–' if s == F else times(ratio(rss[F], rss[s]))} |")
    w("")
    ok_e = None if rss[F] is None or rss[E] is None else rss[F] <= rss[E] / 10
    ok_c = None if rss[F] is None or rss[C] is None else rss[F] <= 2 * rss[C]
    w(f"Targets: ferrocrud peak RSS ≤ 1/10 of eicrud's: {fmt(rss[F])} vs {fmt(ratio(rss[E], 10))} MiB → "
      f"{verdict(ok_e)}; ≤ 2× the ceiling's: {fmt(rss[F])} vs {fmt(rss[C] * 2 if rss[C] else None)} MiB → {verdict(ok_c)}.")
    w("")
    if "mixed" in SCENARIOS:
        w(f"Mixed load: check_jwt alone and while {MIXED_LOGIN_CONNECTIONS} connections log in without pause "
          f"(password hashing saturated), same account, in {MIXED_PAIRS} pairs of {MIXED_WINDOW}-second windows "
          f"per round, alternating which comes first; *kept* and *p99 factor* are the medians over the rounds "
          f"of each round's median paired ratio; req/s and p99 are medians of the windows:")
        w("")
        w("| server | check_jwt req/s alone | with logins | kept | target | | p99 ms alone | with logins | "
          "p99 factor | target | | logins/s meanwhile |")
        w("|---|---:|---:|---:|---|---|---:|---:|---:|---|---|---:|")
        for s in (F, B, C, E):
            if not has[s]:
                continue
            keep, fac = m(s, "mixed", "keep"), m(s, "mixed", "p99_factor")
            tk = verdict(None if keep is None else keep >= MIXED_KEEP_TARGET) if s == F else ""
            tp = verdict(None if fac is None else fac <= MIXED_P99_TARGET) if s == F else ""
            w(f"| {s} | {fmt(mm(s, 'rps', 'alone'))} | {fmt(mm(s, 'rps', 'loaded'))} | {pct(keep)} | "
              f"{f'≥ {MIXED_KEEP_TARGET * 100:.0f} %' if s == F else ''} | {tk} | {fmt(mm(s, 'p99_ms', 'alone'))} | {fmt(mm(s, 'p99_ms', 'loaded'))} | "
              f"{times(fac)} | {f'≤ {MIXED_P99_TARGET:g}×' if s == F else ''} | {tp} | {fmt(mm(s, 'rps', 'login'))} |")
        w("")
    w("Per round (req/s of each round in run order; server CPU in % of one core, median):")
    w("")
    w("| server | scenario | req/s per round | p99 ms per round | server CPU | non-2xx | errors |")
    w("|---|---|---|---|---:|---:|---:|")
    for s in (F, B, C, E):
        for sc in SCENARIOS:
            rs = by.get((s, sc))
            if not rs:
                continue
            if sc == "mixed":
                per = " / ".join(f"{fmt(r['alone']['rps'])}→{fmt(r['loaded']['rps'])}" for r in rs)
                p99 = " / ".join(f"{fmt(r['alone']['p99_ms'])}→{fmt(r['loaded']['p99_ms'])}" for r in rs)
                cpu = med([r["loaded"]["cpu_pct"] for r in rs])
            else:
                per = " / ".join(fmt(r["rps"]) for r in rs)
                p99 = " / ".join(fmt(r["p99_ms"]) for r in rs)
                cpu = med([r["cpu_pct"] for r in rs])
            w(f"| {s} | {sc} | {per} | {p99} | {fmt(cpu, 0)} % | {sum(r['non2xx'] for r in rs)} | "
              f"{sum(r['errors'] for r in rs)} |")
    w("")
    return "\n".join(out), invalid


def same_file_content(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def rerender(path):
    """`bench.py --report results-….json`: prints the tables of an earlier run again."""
    with open(path) as f:
        saved = json.load(f)
    g = globals()
    for k, v in saved["settings"].items():
        g[k] = v
    table, invalid = report(saved["records"], datetime.datetime.fromisoformat(saved["started"]), saved["info"])
    print(table)
    sys.exit(1 if invalid else 0)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--report":
        rerender(sys.argv[2])
    started = datetime.datetime.now(datetime.timezone.utc)
    os.makedirs(WORK, exist_ok=True)
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed (bench/run.sh installs it)")
    if LOGIN_ACCOUNTS < 128:
        log(f"warning: LOGIN_ACCOUNTS={LOGIN_ACCOUNTS} < 128: expect 425 answers from the 600 ms login gate")
    make = {"ferrocrud": Ferrocrud, "baseline": Ferrocrud.baseline, "eicrud": Eicrud, "ceiling": Ceiling}
    servers = [make[s]() for s in SERVERS]
    model, mem = machine_info()
    loadavg = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    log(f"{NCPU} CPUs ({model}); load average {loadavg}; busiest processes:")
    ps = subprocess.run(["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True, timeout=10)
    for line in ps.stdout.splitlines()[1:6]:
        log("   " + line.strip())
    for s in servers:
        log(f"preparing {s.name}")
        s.prepare()
    if (BASELINE_BIN and not BASELINE_ENV and "ferrocrud" in SERVERS
            and same_file_content(BLOG_BIN, BASELINE_BIN)):
        sys.exit(f"bench: {BLOG_BIN} and {BASELINE_BIN} are the same binary: nothing to compare")
    records = []

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        for rnd in range(1, ROUNDS + 1):
            records.extend(run_round(servers, rnd))
    except KeyboardInterrupt:
        log("interrupted")
        for s in servers:
            s.cleanup()
        sys.exit(130)
    except Exception:
        for s in servers:
            s.cleanup()
        raise
    for s in servers:
        s.cleanup()

    background = [r.get("background_busy_pct") for rec in records for r in rec["scenarios"].values()]
    background = [b for b in background if b is not None]
    bg_med = med(background)
    note = ("a quiet machine" if bg_med is not None and bg_med < 10
            else "A BUSY MACHINE: other work was running, absolute figures are low and noisy, compare ratios")
    info = {
        "command": os.environ.get("BENCH_COMMAND") or "bench/run.sh",
        "cpu_model": model, "mem_gib": mem, "loadavg_start": loadavg,
        "background_busy_median": bg_med, "background_busy_max": max(background) if background else None,
        "machine_note": note,
        "servers": {s.name: s.describe for s in servers},
    }
    table, invalid = report(records, started, info)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    out_json = os.path.join(WORK, f"results-{stamp}.json")
    out_md = os.path.join(WORK, f"results-{stamp}.md")
    with open(out_json, "w") as f:
        json.dump({"started": started.isoformat(), "settings": {
            "DURATION": DURATION, "WARMUP": WARMUP, "ROUNDS": ROUNDS, "CONNECTIONS": CONNECTIONS,
            "THREADS": THREADS, "LOGIN_ACCOUNTS": LOGIN_ACCOUNTS, "MIXED_LOGIN_CONNECTIONS": MIXED_LOGIN_CONNECTIONS,
            "MIXED_RAMP": MIXED_RAMP, "MIXED_WINDOW": MIXED_WINDOW, "MIXED_PAIRS": MIXED_PAIRS, "SERVERS": SERVERS, "SCENARIOS": SCENARIOS,
            "BASELINE_LABEL": BASELINE_LABEL}, "info": info,
            "records": records}, f, indent=1)
    with open(out_md, "w") as f:
        f.write(table + "\n")
    print()
    print(table)
    print(f"(raw figures: {out_json}; this table: {out_md})")
    if invalid:
        print("bench: NOT A RESULT: non-2xx answers or socket errors (see above)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
