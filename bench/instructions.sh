#!/usr/bin/env bash
# User-space instructions per request, counted by callgrind: a figure that does not
# move with the machine's load, to compare code changes and servers on a noisy VM.
#
#   bench/instructions.sh                       # the blog, check_jwt, 3000 requests
#   SERVER=ceiling SCENARIO=findOne bench/instructions.sh
#
# Env: SERVER (blog | ceiling), SCENARIO (check_jwt | findOne | create), REQUESTS (3000),
# TOP (20 functions listed), BLOG_BIN ($CARGO_TARGET_DIR/release/blog),
# CEILING_BIN ($BENCH_WORK/ceiling/target/release/ceiling: built by a bench/run.sh
# run), BENCH_WORK (/tmp/ferrocrud-bench), PG_URL (postgres://postgres@127.0.0.1:5432).
#
# The server runs under valgrind on a fresh database; one account (and, for findOne,
# one post) is set up through the wire; 200 requests warm it up (the user cache);
# then the counters are zeroed, REQUESTS requests are sent one after the other on one
# keep-alive connection with @eicrud/client's headers, and the counters are dumped.
# Kernel work (the socket calls) is not counted. Under valgrind SHA-256 runs in
# software (natively both servers use the CPU's SHA instructions), so the report
# gives the total with and without it.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER="${SERVER:-blog}"
SCENARIO="${SCENARIO:-check_jwt}"
REQUESTS="${REQUESTS:-3000}"
TOP="${TOP:-20}"
WORK="${BENCH_WORK:-/tmp/ferrocrud-bench}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
TARGET="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v valgrind >/dev/null 2>&1; then
  echo "[instructions] installing valgrind (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y -qq valgrind >/dev/null 2>&1 || { as_root apt-get update -qq && as_root apt-get install -y -qq valgrind >/dev/null; }
fi
for tool in curl psql python3; do
  command -v "$tool" >/dev/null || { echo "instructions: $tool is needed" >&2; exit 1; }
done
case "$SCENARIO" in check_jwt | findOne | create) ;; *) echo "instructions: SCENARIO is check_jwt, findOne or create" >&2; exit 1 ;; esac

mkdir -p "$WORK"
out="$WORK/callgrind-$SERVER-$SCENARIO.out"
log="$WORK/callgrind-$SERVER.log"
rm -f "$out" "$out".*
case "$SERVER" in
  blog)
    bin="${BLOG_BIN:-$TARGET/release/blog}"
    port=3700
    database=ferrocrud_instructions
    ;;
  ceiling)
    bin="${CEILING_BIN:-$WORK/ceiling/target/release/ceiling}"
    port=3601
    database=ceiling_instructions
    ;;
  *) echo "instructions: SERVER is blog or ceiling" >&2; exit 1 ;;
esac
[ -x "$bin" ] || { echo "instructions: $bin is missing (cargo build --release -p blog; the ceiling: bench/run.sh)" >&2; exit 1; }
base="http://127.0.0.1:$port"
curl -s -o /dev/null "$base/crud/rdy" && { echo "instructions: port $port is taken" >&2; exit 1; }

PGOPTIONS="--client-min-messages=warning" psql -q "$PG_URL/postgres" -c "drop database if exists $database" -c "create database $database" >/dev/null
# valgrind names its control pipes after $HOST, so the blog's bind address is left
# at its default (127.0.0.1) rather than passed as HOST.
env -u HOST PORT="$port" DATABASE_URL="$PG_URL/$database" JWT_SECRET="instructions-$RANDOM-$RANDOM" \
  RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  curl -sf -o /dev/null "$base/crud/rdy" && break
  kill -0 "$server" 2>/dev/null || { echo "instructions: the server stopped; see $log" >&2; exit 1; }
  sleep 0.2
done

python3 - "$base" "$SCENARIO" "$REQUESTS" "$WORK/callgrind-control" <<'EOF'
import json, socket, subprocess, sys, urllib.parse, urllib.request

base, scenario, count, control = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
port = int(base.rsplit(":", 1)[1])

def call(method, path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(base + path, json.dumps(body).encode(), headers, method=method)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())

email = f"instructions.{port}@bench.test"
user_id = call("POST", "/crud/s/user/cmd/create_account", {"email": email, "password": "load-password-1", "role": "user"})["userId"]
token = call("PATCH", "/crud/s/user/cmd/login", {"email": email, "password": "load-password-1"})["accessToken"]
common = (f"Host: 127.0.0.1:{port}\r\nAccept: application/json, text/plain, */*\r\n"
          f"Authorization: Bearer {token}\r\nUser-Agent: axios/1.21.1\r\n"
          "Accept-Encoding: gzip, compress, deflate, br\r\nConnection: keep-alive\r\n")
if scenario == "check_jwt":
    request = f"PATCH /crud/s/user/cmd/check_jwt HTTP/1.1\r\n{common}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
elif scenario == "create":
    body = json.dumps({"owner": user_id, "title": "load post", "content": "y" * 200}, separators=(",", ":"))
    request = (f"POST /crud/s/post/one HTTP/1.1\r\n{common}Content-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n{body}")
else:
    post = call("POST", "/crud/s/post/one", {"owner": user_id, "title": "load post", "content": "y" * 200}, token)["id"]
    query = urllib.parse.quote(json.dumps({"id": post, "owner": user_id}, separators=(",", ":")), safe=":,")
    request = f"GET /crud/s/post/one?options=%7B%7D&query={query} HTTP/1.1\r\n{common}\r\n"
request = request.encode()

conn = socket.create_connection(("127.0.0.1", port))
buffer = b""

def send(n):
    global buffer
    for _ in range(n):
        conn.sendall(request)
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = buffer[:end].decode()
                if not head.startswith(("HTTP/1.1 200", "HTTP/1.1 201")):
                    sys.exit(f"instructions: unexpected answer {head.splitlines()[0]}")
                length = next(int(l.split(":", 1)[1]) for l in head.split("\r\n") if l.lower().startswith("content-length:"))
                if len(buffer) >= end + 4 + length:
                    buffer = buffer[end + 4 + length:]
                    break
            chunk = conn.recv(65536)
            if not chunk:
                sys.exit("instructions: the server closed the connection")
            buffer += chunk

send(200)
subprocess.run(["callgrind_control", "--zero"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
send(count)
subprocess.run(["callgrind_control", "--dump"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
EOF

sleep 1
dump=$(ls "$out".* 2>/dev/null | head -1)
[ -n "$dump" ] || { echo "instructions: no dump written; see $log" >&2; exit 1; }
callgrind_annotate --threshold=100 "$dump" >"$dump.txt"
python3 - "$dump.txt" "$REQUESTS" "$SERVER" "$SCENARIO" "$TOP" <<'EOF'
import re, sys
path, count, server, scenario, top = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
total, sha, rows = None, 0, []
for line in open(path):
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
    if not m:
        continue
    ir, name = int(m.group(1).replace(",", "")), m.group(2)
    if "PROGRAM TOTALS" in name:
        total = ir
        continue
    function = name.split(":", 1)[1].rsplit(" [", 1)[0] if ":" in name else name
    if re.search(r"sha256|compress256", function):
        sha += ir
    rows.append((ir, function))
if total is None:
    sys.exit("instructions: no totals in the dump")
print(f"{server} {scenario}: {total / count:,.0f} instructions per request "
      f"({(total - sha) / count:,.0f} without SHA-256), {count} requests")
# The entries above 99 % are the thread's frames (inclusive); list the rest.
for ir, function in [r for r in rows if r[0] < 0.99 * total][:top]:
    print(f"{ir / count:10,.0f}  {function[:150]}")
EOF
