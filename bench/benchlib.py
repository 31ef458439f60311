"""What the scripts of bench/ share: settings read from the environment, the
server's /proc figures, the eicrud wire (accounts and tokens as @eicrud/client
gets them), wrk runs and their one-line summaries, the blog started on a fresh
PostgreSQL database, the set-up of the load scenarios (bench/wrk/*.lua) and the
machine's description. Python 3.9+ standard library only; every request goes to
127.0.0.1 and every wait is bounded.

Read from the environment (defaults in brackets): BENCH_WORK [/tmp/ferrocrud-bench]
(scratch dir), PG_URL [postgres://postgres@127.0.0.1:5432], BLOG_BIN
[$CARGO_TARGET_DIR/release/blog].
"""

import concurrent.futures
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
LUA_DIR = os.path.join(HERE, "wrk")
LOG_NAME = "bench"  # the prefix of log lines and error messages; each script sets its own


def env_int(name, default, minimum=None):
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        sys.exit(f"{LOG_NAME}: {name}={raw} is not a whole number")
    if minimum is not None and value < minimum:
        sys.exit(f"{LOG_NAME}: {name}={value} is below {minimum}")
    return value


def env_float(name, default):
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        return float(raw)
    except ValueError:
        sys.exit(f"{LOG_NAME}: {name}={raw} is not a number")


def env_list(name, default):
    return [s.strip() for s in (os.environ.get(name) or default).split(",") if s.strip()]

WORK = os.environ.get("BENCH_WORK") or "/tmp/ferrocrud-bench"
PG_URL = (os.environ.get("PG_URL") or "postgres://postgres@127.0.0.1:5432").rstrip("/")
TARGET_DIR = os.environ.get("CARGO_TARGET_DIR") or os.path.expanduser("~/ferrocrud-target")
BLOG_BIN = os.environ.get("BLOG_BIN") or os.path.join(TARGET_DIR, "release", "blog")
WRK = shutil.which("wrk") or "wrk"
WRK_TIMEOUT_S = 60  # latencies above wrk's --timeout are not recorded: keep it far above any p99
PASSWORD = "load-pass-1234"
HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1
RUN_ID = "b" + format(int(time.time() * 1000), "x")[-8:]


def log(msg):
    print(f"[{LOG_NAME} {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- /proc


def pid_jiffies(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
        fields = text[text.rindex(")") + 2 :].split()
        return int(fields[11]) + int(fields[12])  # utime + stime, all threads
    except (OSError, ValueError, IndexError):
        return 0


def machine_jiffies():
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    idle = cpu[3] + (cpu[4] if len(cpu) > 4 else 0)
    total = sum(cpu[:8])
    return total - idle, total


def mem_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def mib(kib):
    return None if kib is None else round(kib / 1024, 1)


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------- wire


class WireError(Exception):
    pass


def query_json(obj):
    """JSON in a query string as axios sends it (encodeURIComponent, ':' and ',' kept)."""
    return urllib.parse.quote(json.dumps(obj, separators=(",", ":")), safe="!~*'():,")


def http(base, method, path, body=None, token=None, expect=None):
    headers = {"Accept": "application/json, text/plain, */*", "User-Agent": "axios/1.21.1"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body, separators=(",", ":")).encode()
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as e:
        raise WireError(f"{method} {path}: {e}") from e
    if (expect is not None and status != expect) or status >= 300:
        raise WireError(f"{method} {path} -> {status} {text[:300]}")
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text  # e.g. the ceiling's /crud/rdy answers `ok`


def create_account(base, email):
    r = http(base, "POST", "/crud/s/user/cmd/create_account",
             {"email": email, "password": PASSWORD, "role": "user"}, expect=201)
    return r["userId"]


def account(base, tag):
    """A fresh account and its token, through create_account + login."""
    email = f"{RUN_ID}.{tag}@bench.test"
    user_id = create_account(base, email)
    r = http(base, "PATCH", "/crud/s/user/cmd/login", {"email": email, "password": PASSWORD}, expect=200)
    if r.get("userId") != user_id or not r.get("accessToken"):
        raise WireError(f"login of {email}: unexpected answer {r}")
    return {"email": email, "user_id": user_id, "token": r["accessToken"]}


# ---------------------------------------------------------------- wrk


def wrk_env(extra):
    env = dict(os.environ)
    env["BENCH_LUA_DIR"] = LUA_DIR
    env.update({k: str(v) for k, v in extra.items()})
    return env


def wrk_cmd(script, base, duration, connections, threads):
    return [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", f"{WRK_TIMEOUT_S}s",
            "-s", os.path.join(LUA_DIR, script), base]


def wrk_parse(out, err, rc):
    for line in out.splitlines():
        if line.startswith("WRK_RESULT "):
            r = json.loads(line[len("WRK_RESULT "):])
            secs = r["duration_us"] / 1e6
            return {
                "requests": r["requests"],
                "seconds": round(secs, 2),
                "rps": round(r["requests"] / secs, 1) if secs > 0 else 0.0,
                "p50_ms": round(r["p50_us"] / 1000, 2),
                "p90_ms": round(r["p90_us"] / 1000, 2),
                "p99_ms": round(r["p99_us"] / 1000, 2),
                "max_ms": round(r["max_us"] / 1000, 2),
                "non2xx": r["status"],
                "errors": r["connect"] + r["read"] + r["write"] + r["timeout"],
                "errors_detail": {k: r[k] for k in ("connect", "read", "write", "timeout")},
            }
    raise RuntimeError(f"wrk gave no result (exit {rc}): {err.strip()[-500:]} {out.strip()[-500:]}")


# ---------------------------------------------------------------- servers


def port_busy(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_ready(base, pid, seconds):
    for _ in range(int(seconds * 4)):
        try:
            with urllib.request.urlopen(base + "/crud/rdy", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if pid is not None and not alive(pid):
            raise RuntimeError("server exited during start")
        time.sleep(0.25)
    raise RuntimeError(f"{base} not ready after {seconds} s")


def wait_exit(pid, seconds):
    for _ in range(int(seconds * 10)):
        if not alive(pid):
            return True
        time.sleep(0.1)
    return not alive(pid)


def psql(db, *commands):
    args = ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", f"{PG_URL}/{db}"]
    for c in commands:
        args += ["-c", c]
    env = dict(os.environ, PGOPTIONS="--client-min-messages=warning")
    subprocess.run(args, check=True, timeout=120, stdout=subprocess.DEVNULL, env=env)


def psql_value(db, query):
    """The answer of one query, as psql prints it unaligned (`a|b` for two columns)."""
    args = ["psql", "-q", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", f"{PG_URL}/{db}", "-c", query]
    return subprocess.run(args, check=True, timeout=120, capture_output=True, text=True).stdout.strip()


class Server:
    name = "?"
    port = 0
    pid = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def prepare(self):
        pass

    def start(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def check_port(self):
        # A server stopped just before (the same one, when two servers
        # alternate) may take a moment to let its port go.
        deadline = time.monotonic() + 10
        while port_busy(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"port {self.port} is already in use: cannot start {self.name} there")
            time.sleep(0.2)


class Ferrocrud(Server):
    """examples/blog, release build, PostgreSQL, a fresh database each start."""

    def __init__(self, name="ferrocrud", binary=BLOG_BIN, port_var="FERROCRUD_PORT", port=3500,
                 db_var="FERROCRUD_DB", db="ferrocrud_bench", label="examples/blog (release)", env=None):
        self.name = name
        self.binary = binary
        self.port = env_int(port_var, port)
        self.db = os.environ.get(db_var) or db
        self.dir = os.path.join(WORK, name)
        self.proc = None
        self.env = dict(env or {})  # more variables for the blog (e.g. LOGIN_THROTTLE_MS)
        self.describe = f"{label}, PostgreSQL database `{self.db}`"

    def prepare(self):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"{self.binary} missing: cargo build --release -p blog (bench/run.sh does)")
        os.makedirs(self.dir, exist_ok=True)

    def start(self):
        self.check_port()
        psql("postgres", f'drop database if exists "{self.db}" with (force)', f'create database "{self.db}"')
        env = dict(os.environ)
        env.update({
            "HOST": "127.0.0.1", "PORT": str(self.port),
            "DATABASE_URL": f"{PG_URL}/{self.db}",
            "JWT_SECRET": secrets.token_urlsafe(48),
            "MAIL_LOG": os.path.join(self.dir, "mail.jsonl"),
            "RUST_LOG": os.environ.get("FERROCRUD_RUST_LOG", "warn"),
        })
        for k in ("SEED_MOD_EMAIL", "SEED_MOD_PASSWORD", "SEED_ADMIN_EMAIL", "SEED_ADMIN_PASSWORD",
                  "LOGIN_THROTTLE_MS"):
            env.pop(k, None)
        # Metrics on, as the blog ships, on a port of this server's own so that
        # two servers (or a blog running beside the bench) never share one.
        env["METRICS_ADDR"] = f"127.0.0.1:{self.port + 6000}"
        env.update({k: str(v) for k, v in self.env.items()})
        logf = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen([self.binary], cwd=self.dir, env=env, stdout=logf, stderr=logf,
                                     stdin=subprocess.DEVNULL)
        logf.close()
        self.pid = self.proc.pid
        wait_ready(self.base, self.pid, 60)
        return self.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        self.pid = None

    def cleanup(self):
        try:
            psql("postgres", f'drop database if exists "{self.db}" with (force)')
        except (subprocess.SubprocessError, OSError):
            pass


# ---------------------------------------------------------------- scenarios


class Setup:
    """What the scenarios need, made through the wire before anything is measured."""

    def __init__(self, base, login_accounts=128, login_pool=True):
        self.base = base
        self.login_accounts = login_accounts
        self.jwt = account(base, "jwt")
        self.find = account(base, "find")
        post = http(base, "POST", "/crud/s/post/one",
                    {"owner": self.find["user_id"], "title": "load target", "content": "x" * 200},
                    token=self.find["token"], expect=201)
        self.find["post_id"] = post["id"]
        self.create = account(base, "create")
        self.mixed = account(base, "mixed")
        self.login_prefix = f"{RUN_ID}.login"
        if login_pool:
            emails = [f"{self.login_prefix}{i}@bench.test" for i in range(login_accounts)]
            with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda e: create_account(base, e), emails))

    def login_env(self):
        return {"BENCH_LOGIN_PREFIX": self.login_prefix, "BENCH_LOGIN_COUNT": self.login_accounts,
                "BENCH_PASSWORD": PASSWORD}


def probe(setup, scenario):
    """One request of the scenario, outside wrk: its exact status and answer."""
    b = setup.base
    if scenario == "rdy":
        http(b, "GET", "/crud/rdy", expect=200)
    elif scenario in ("check_jwt", "mixed"):
        acc = setup.jwt if scenario == "check_jwt" else setup.mixed
        r = http(b, "PATCH", "/crud/s/user/cmd/check_jwt", {}, token=acc["token"], expect=200)
        if not r or r.get("userId") != acc["user_id"]:
            raise WireError(f"check_jwt answered {r}")
    elif scenario == "findOne":
        f = setup.find
        r = http(b, "GET", f"/crud/s/post/one?options={query_json({})}&query="
                 f"{query_json({'id': f['post_id'], 'owner': f['user_id']})}", token=f["token"], expect=200)
        if not r or r.get("id") != f["post_id"]:
            raise WireError(f"findOne answered {r}")
    elif scenario == "create":
        c = setup.create
        r = http(b, "POST", "/crud/s/post/one", {"owner": c["user_id"], "title": "probe", "content": "y"},
                 token=c["token"], expect=201)
        if not r or not r.get("id"):
            raise WireError(f"create answered {r}")
    elif scenario == "login":
        r = http(b, "PATCH", "/crud/s/user/cmd/login",
                 {"email": f"{setup.login_prefix}0@bench.test", "password": PASSWORD}, expect=200)
        if not r or not r.get("accessToken"):
            raise WireError(f"login answered {r}")


def scenario_load(setup, scenario):
    """(wrk script, its env) of a plain scenario."""
    if scenario == "rdy":
        return "rdy.lua", {}
    if scenario == "check_jwt":
        return "check_jwt.lua", {"BENCH_TOKEN": setup.jwt["token"]}
    if scenario == "findOne":
        f = setup.find
        return "find_one.lua", {"BENCH_TOKEN": f["token"], "BENCH_USER_ID": f["user_id"], "BENCH_POST_ID": f["post_id"]}
    if scenario == "create":
        c = setup.create
        return "create.lua", {"BENCH_TOKEN": c["token"], "BENCH_USER_ID": c["user_id"]}
    if scenario == "login":
        return "login.lua", setup.login_env()
    raise ValueError(scenario)


# ---------------------------------------------------------------- machine


def machine_info():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = round(int(f.readline().split()[1]) / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    return model, mem


def loadavg():
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def checkout():
    """The commit of this checkout, and whether tracked files differ from it."""
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE, timeout=10).stdout.strip()

    commit = git("rev-parse", "--short=7", "HEAD") or "?"
    return commit + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")
