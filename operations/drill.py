"""The production drill (`make drill`): two app servers behind nginx on this machine, as the
README and docs/scaling.md describe them, and what an operator would try on them.

    .venv/bin/python operations/drill.py            # as root: nginx, a PostgreSQL cluster, signals

It stands up, all on the loopback addresses:

- a PostgreSQL cluster of its own (`15/drill`, port 5433, created once with
  pg_createcluster), so that restarting it never cuts the connections of the machine's main
  cluster; `DRILL_PG_CLUSTER=15/main DRILL_PG_PORT=5432` drills on that one instead;
- the database `chunan_drill`: migrated, `load_chunan` (no demo accounts), a superuser;
- two gunicorn app servers (127.0.0.1:8401 and :8402, 2 sync workers each) with the
  production settings, Redis at 127.0.0.1:6379 (db 3, keys prefixed `chunan-drill`) and one
  media folder;
- nginx with the documented configuration (TLS with a throw-away certificate, on port 8443
  so that the port reaches the CSRF check, plain http on 8480), and an `X-Drill-Upstream`
  header naming the app server that answered.

Then it checks sessions, the shared cache, media, the catch-all server, the trusted proxy
count, and measures a frozen app server (SIGSTOP), three ways of restarting one, and a
PostgreSQL restart under load. Every load is bounded in time and in requests and goes to
127.0.0.1 only. It prints `DRILL <name> <value>` lines (figures in docs/scaling.md) and
stops everything it started. Not part of CI.
"""

import http.client
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "drill"
BIN = Path(sys.executable).parent
HOST = "portal.example.org"
LOOPBACK = "127.0.0.1"
APP_PORTS = (8401, 8402)
TLS_PORT, HTTP_PORT = 8443, 8480
PG_CLUSTER = os.environ.get("DRILL_PG_CLUSTER", "15/drill")
PG_PORT = int(os.environ.get("DRILL_PG_PORT", "5433"))
DATABASE = "chunan_drill"
USERNAME, PASSWORD = "drill_county", secrets.token_urlsafe(16)
WRONG_PASSWORD = PASSWORD + "-wrong"
MAX_REQUESTS = 20_000  # per load, whatever its duration
CODE = "xiyuan"


def say(text):
    print(f"==> {text}", flush=True)


def figure(name, value):
    print(f"DRILL {name} {value}", flush=True)


def run(*command, check=True, **kwargs):
    return subprocess.run(command, check=check, text=True, capture_output=True, **kwargs)  # noqa: S603


# ------------------------------------------------------------------------ nginx config


def nginx_conf(*, old=False, down=()):
    """The README's and docs/scaling.md's configuration on loopback ports. `old`: the one
    documented before the drill (60 s read timeout, no connect timeout, Host $host)."""
    servers = "\n".join(
        f"        server {LOOPBACK}:{port}"
        + ("" if old else " max_fails=2 fail_timeout=30s")
        + (" down" if port in down else "")
        + ";"
        for port in APP_PORTS
    )
    if old:
        proxy = """
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_read_timeout 60s;"""
        locations = "location / { proxy_pass http://chunan; }"
    else:
        proxy = """
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 2s;
        proxy_send_timeout 10s;
        proxy_read_timeout 10s;
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 2;
        proxy_next_upstream_timeout 15s;"""
        locations = """
        location ~ \\.(csv|xlsx)$ { proxy_pass http://chunan; proxy_read_timeout 60s; }
        location /returns/import/ { proxy_pass http://chunan; proxy_read_timeout 60s; }
        location / { proxy_pass http://chunan; }"""
    return f"""
user root;
worker_processes 2;
pid {WORK}/nginx.pid;
error_log {WORK}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {WORK}/nginx-access.log;
    client_body_temp_path {WORK}/nginx-temp/body;
    proxy_temp_path {WORK}/nginx-temp/proxy;
    fastcgi_temp_path {WORK}/nginx-temp/fastcgi;
    uwsgi_temp_path {WORK}/nginx-temp/uwsgi;
    scgi_temp_path {WORK}/nginx-temp/scgi;
    {"" if old else "server_tokens off;"}
    upstream chunan {{
        {"" if old else "zone chunan 64k;"}
{servers}
    }}
    {
        ""
        if old
        else f'''server {{
        listen {LOOPBACK}:{HTTP_PORT} default_server;
        listen {LOOPBACK}:{TLS_PORT} ssl http2 default_server;
        ssl_reject_handshake on;
        return 444;
    }}'''
    }
    server {{
        listen {LOOPBACK}:{HTTP_PORT};
        server_name {HOST};
        return 301 https://$host:{TLS_PORT}$request_uri;
    }}
    server {{
        listen {LOOPBACK}:{TLS_PORT} ssl http2;
        server_name {HOST};
        ssl_certificate {WORK}/cert.pem;
        ssl_certificate_key {WORK}/key.pem;
        client_max_body_size 20m;
        add_header X-Drill-Upstream $upstream_addr always;
        {proxy}
        location ^~ /media/evidence/ {{ return 404; }}
        location ^~ /media/ {{
            alias {WORK}/media/;
            add_header X-Content-Type-Options nosniff;
        }}
        {locations}
    }}
}}
"""


class Nginx:
    def __init__(self):
        self.conf = WORK / "nginx.conf"

    def write(self, **options):
        self.conf.write_text(nginx_conf(**options))
        run("nginx", "-t", "-q", "-c", str(self.conf), "-p", str(WORK))

    def start(self, **options):
        self.write(**options)
        run("nginx", "-c", str(self.conf), "-p", str(WORK))
        wait_port(TLS_PORT)

    def restart(self, **options):
        """A fresh nginx: no failure counted by an earlier scenario."""
        self.stop()
        self.start(**options)

    def reload(self, **options):
        self.write(**options)
        run("nginx", "-c", str(self.conf), "-p", str(WORK), "-s", "reload")
        time.sleep(1)  # new workers up, the old ones finishing their requests

    def stop(self):
        pid_file = WORK / "nginx.pid"
        if pid_file.exists():
            run("nginx", "-c", str(self.conf), "-p", str(WORK), "-s", "quit", check=False)
            for _ in range(50):
                if not pid_file.exists():
                    break
                time.sleep(0.1)


# ------------------------------------------------------------------------ app servers


def app_env(port):
    # The second server names the database differently (localhost, not 127.0.0.1): the
    # public cache's namespace must be the same all the same.
    db_host = LOOPBACK if port == APP_PORTS[0] else "localhost"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "chunan_community.settings",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"postgres://postgres@{db_host}:{PG_PORT}/{DATABASE}",
        "CHUNAN_CACHE_URL": (
            "redis://127.0.0.1:6379/3?socket_connect_timeout=1&socket_timeout=1"
            "&key_prefix=chunan-drill"
        ),
        "DJANGO_MEDIA_ROOT": str(WORK / "media"),
        "DJANGO_STATIC_ROOT": str(WORK / "static"),
        # DJANGO_HTTPS and DJANGO_BEHIND_PROXY: production's defaults (on); the trusted
        # proxy count then defaults to 1.
    }


SECRET_KEY = secrets.token_urlsafe(50)


class AppServer:
    def __init__(self, port):
        self.port = port
        self.process = None

    def start(self):
        log = open(WORK / f"gunicorn-{self.port}.log", "a")  # noqa: SIM115 (kept open)
        self.process = subprocess.Popen(  # noqa: S603
            [
                str(BIN / "gunicorn"),
                "--config",
                "chunan_community/gunicorn.conf.py",
                "chunan_community.wsgi",
                "--bind",
                f"{LOOPBACK}:{self.port}",
                "--workers",
                "2",
                "--access-logfile",
                "-",
            ],
            cwd=ROOT,
            env=app_env(self.port),
            stdout=log,
            stderr=log,
        )
        wait_port(self.port)
        for _ in range(100):
            if healthz(self.port) == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn on {self.port} never answered /healthz")

    def pids(self):
        """The master and its workers."""
        children = run("pgrep", "-P", str(self.process.pid), check=False).stdout.split()
        return [self.process.pid, *map(int, children)]

    def signal_all(self, signum):
        for pid in self.pids():
            os.kill(pid, signum)

    def stop(self):
        """What `systemctl restart` does first: SIGTERM, gunicorn's graceful shutdown."""
        if self.process and self.process.poll() is None:
            self.signal_all(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self):
        self.stop()
        self.start()


def wait_port(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def healthz(port):
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Host": HOST})
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


# ------------------------------------------------------------------------ client


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the drill's throw-away certificate
    return context


class Portal(http.client.HTTPSConnection):
    """A browser's connection to nginx: TLS with the portal's name (SNI) on 127.0.0.1,
    optionally from another loopback address (another client, as nginx sees it)."""

    def __init__(self, *, server_name=HOST, source=None, timeout=30, port=TLS_PORT):
        super().__init__(
            LOOPBACK,
            port,
            timeout=timeout,
            context=tls_context(),
            source_address=(source, 0) if source else None,
        )
        self.server_name = server_name

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout, self.source_address)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.server_name)


def fetch(connection, method, path, *, headers=None, body=None):
    """(status, headers, body text); reconnects once on a closed keep-alive connection."""
    all_headers = {"Host": f"{HOST}:{TLS_PORT}", "Accept-Language": "zh-hans", **(headers or {})}
    connection.request(method, path, body=body, headers=all_headers)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")


def csrf_pair(connection):
    """A CSRF cookie and the log-in form's token for it."""
    status, headers, page = fetch(connection, "GET", "/accounts/login/")
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not (cookie and token):
        raise http.client.HTTPException(f"no CSRF token (the log-in page answered {status})")
    return cookie.group(1), token.group(1)


def switch_language(connection, cookie, token):
    """A cheap form post: Django's language switch (POST, CSRF-checked), 302 when done."""
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "language": "en", "next": "/"})
    status, _headers, _page = fetch(
        connection,
        "POST",
        "/i18n/setlang/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Origin": f"https://{HOST}:{TLS_PORT}",
        },
    )
    return status


def log_in(connection, cookie, token, password=PASSWORD):
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": USERNAME, "password": password}
    )
    status, headers, _page = fetch(
        connection,
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Origin": f"https://{HOST}:{TLS_PORT}",
            "Referer": f"https://{HOST}:{TLS_PORT}/accounts/login/",
        },
    )
    session = re.search(r"sessionid=([^;]+)", headers.get("Set-Cookie", ""))
    return status, session.group(1) if session else None


# ------------------------------------------------------------------------ load


@dataclass
class Load:
    started: float
    results: list = field(default_factory=list)  # (start, end, status or error name)

    def ok(self, expected):
        return [r for r in self.results if r[2] == expected]

    def failures(self, expected):
        return Counter(str(r[2]) for r in self.results if r[2] != expected)

    def longest_gap(self, expected, until):
        """Longest time (s) with no successful answer completed, within the load."""
        ends = sorted(r[1] for r in self.results if r[2] == expected)
        points = [self.started, *ends, until]
        return max(b - a for a, b in itertools.pairwise(points))

    def failure_window(self, expected):
        times = [r[1] for r in self.results if r[2] != expected]
        return (max(times) - min(times)) if times else 0.0


def load(request, *, connections, seconds, action=None, action_at=5.0, timeout=30):
    """`connections` threads, each calling request(connection) one after another for
    `seconds` (and at most MAX_REQUESTS in all); `action` runs at `action_at` seconds."""
    result = Load(started=time.monotonic())
    deadline = result.started + seconds
    lock = threading.Lock()

    def worker():
        connection = Portal(timeout=timeout)
        while time.monotonic() < deadline:
            with lock:
                if len(result.results) >= MAX_REQUESTS:
                    return
            began = time.monotonic()
            try:
                outcome = request(connection)
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
                connection.close()
                connection = Portal(timeout=timeout)
                time.sleep(0.01)
            with lock:
                result.results.append((began, time.monotonic(), outcome))
        connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    if action:
        time.sleep(action_at)
        action()
    for thread in threads:
        thread.join(seconds + timeout + 5)
    return result


def get_status(path, headers=None):
    def request(connection):
        status, _headers, _body = fetch(connection, "GET", path, headers=headers)
        return status

    return request


# ------------------------------------------------------------------------ set-up


def set_up():
    """Prepare everything; True when it started the PostgreSQL cluster (stopped at the end)."""
    for tool in ("nginx", "redis-cli", "pg_ctlcluster", "openssl"):
        if not shutil.which(tool):
            raise SystemExit(f"drill: {tool} is missing (make drill installs nginx)")
    if os.geteuid() != 0:
        raise SystemExit("drill: run as root (nginx, the PostgreSQL cluster, signals)")
    if run("redis-cli", "-h", LOOPBACK, "ping", check=False).stdout.strip() != "PONG":
        raise SystemExit("drill: no Redis at 127.0.0.1:6379 (make redis starts one)")
    for sub in ("nginx-temp", "media/drill", "media/evidence", "static"):
        (WORK / sub).mkdir(parents=True, exist_ok=True)
    version, name = PG_CLUSTER.split("/")
    clusters = run("pg_lsclusters", "-h").stdout
    if not re.search(rf"^{version}\s+{name}\s", clusters, re.M):
        say(f"creating the PostgreSQL cluster {PG_CLUSTER} on port {PG_PORT}")
        run(
            "pg_createcluster", version, name, "--port", str(PG_PORT),
            "--start-conf", "manual", "--",
            "--auth-local=peer", "--auth-host=trust",
        )  # fmt: skip
    was_running = (
        run("pg_isready", "-q", "-h", LOOPBACK, "-p", str(PG_PORT), check=False).returncode == 0
    )
    run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start", check=False)
    for _ in range(30):
        if run("pg_isready", "-q", "-h", LOOPBACK, "-p", str(PG_PORT), check=False).returncode == 0:
            break
        time.sleep(1)
    psql = ["psql", "-h", LOOPBACK, "-p", str(PG_PORT), "-U", "postgres", "-tAc"]
    query = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"  # noqa: S608 (a constant)
    exists = run(*psql, query).stdout
    if exists.strip() != "1":
        run("createdb", "-h", LOOPBACK, "-p", str(PG_PORT), "-U", "postgres", DATABASE)
    if not (WORK / "cert.pem").exists():
        run(
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-subj", f"/CN={HOST}", "-keyout", str(WORK / "key.pem"),
            "-out", str(WORK / "cert.pem"),
        )  # fmt: skip
    manage = [str(BIN / "python"), "manage.py"]
    env = app_env(APP_PORTS[0])
    say(f"migrate, load_chunan, collectstatic on {DATABASE} (cluster {PG_CLUSTER})")
    for args in (
        ["migrate", "--noinput", "-v", "0"],
        ["load_chunan"],
        ["collectstatic", "--noinput", "-v", "0"],
    ):
        run(*manage, *args, cwd=ROOT, env=env)
    script = (
        "from django.contrib.auth import get_user_model; from axes.models import AccessAttempt; "
        "User = get_user_model(); "
        f"u, _ = User.objects.get_or_create(username={USERNAME!r}); "
        f"u.is_staff = u.is_superuser = True; u.set_password({PASSWORD!r}); u.save(); "
        "AccessAttempt.objects.all().delete()"
    )
    run(*manage, "shell", "-v", "0", "-c", script, cwd=ROOT, env=env)
    (WORK / "media/drill/hello.txt").write_text("shared media\n")
    return not was_running


def shell(code):
    manage = [str(BIN / "python"), "manage.py", "shell", "-v", "0", "-c", code]
    return run(*manage, cwd=ROOT, env=app_env(APP_PORTS[1])).stdout.strip()


# ------------------------------------------------------------------------ the checks


def check_basics(servers):
    say("sessions, cache, media, catch-all, server tokens")
    connection = Portal()
    cookie, token = csrf_pair(connection)
    status, session = log_in(connection, cookie, token)
    figure("login_status_port_8443", status)
    seen = Counter()
    statuses = Counter()
    for _ in range(20):
        code, headers, _ = fetch(
            connection, "GET", "/admin/", headers={"Cookie": f"sessionid={session}"}
        )
        statuses[code] += 1
        seen[headers.get("X-Drill-Upstream")] += 1
    figure("session_admin_pages", dict(statuses))
    figure("session_served_by", dict(seen))
    code, headers, _ = fetch(connection, "GET", "/")
    figure("server_header", headers.get("Server"))
    # What an upstream keepalive would need: gunicorn's sync workers close every connection.
    upstream = http.client.HTTPConnection(LOOPBACK, APP_PORTS[0], timeout=10)
    upstream.request("GET", "/healthz", headers={"Host": HOST, "Connection": "keep-alive"})
    figure("gunicorn_connection_header", upstream.getresponse().getheader("Connection"))
    upstream.close()

    # The shared cache: each server caches the profile, a third process changes it.
    path = f"/communities/{CODE}/"
    direct = {"Host": HOST, "X-Forwarded-Proto": "https"}
    for port in APP_PORTS:
        for _ in range(2):
            fetch_direct(port, path, direct)
    marker = f"演练{secrets.token_hex(3)}"
    original = shell(
        "from communities.models import Community; "
        f"print(Community.objects.get(code={CODE!r}).name)"
    )
    try:
        shell(
            "from communities.models import Community; "
            f"c = Community.objects.get(code={CODE!r}); c.name = {marker!r}; c.save()"
        )
        fresh = Counter()
        for port in APP_PORTS:
            for _ in range(10):
                fresh[port] += marker in fetch_direct(port, path, direct)
        figure("cache_change_seen_per_server_of_10", dict(fresh))
    finally:
        shell(
            "from communities.models import Community; "
            f"c = Community.objects.get(code={CODE!r}); c.name = {original!r}; c.save()"
        )

    code, headers, body = fetch(connection, "GET", "/media/drill/hello.txt")
    figure("media_file", f"{code} {body.strip()!r} nosniff={headers.get('X-Content-Type-Options')}")
    code, _h, _b = fetch(connection, "GET", "/media/evidence/anything.png")
    figure("media_evidence_direct", code)
    connection.close()

    for name, server_name in (("tls_foreign_sni", "scanner.example.net"), ("tls_no_sni", None)):
        try:
            other = Portal(server_name=server_name)
            fetch(other, "GET", "/")
            figure(name, "answered")
        except (OSError, http.client.HTTPException) as error:
            figure(name, f"refused ({type(error).__name__})")
    plain = http.client.HTTPConnection(LOOPBACK, HTTP_PORT, timeout=5)
    try:
        plain.request("GET", "/", headers={"Host": "scanner.example.net"})
        figure("http_foreign_host", plain.getresponse().status)
    except (OSError, http.client.HTTPException) as error:
        figure("http_foreign_host", f"closed without an answer ({type(error).__name__})")
    logs = "".join(
        (WORK / f"gunicorn-{port}.log").read_text(errors="replace") for port in APP_PORTS
    )
    figure("foreign_host_lines_in_app_logs", logs.count("scanner.example.net"))


def fetch_direct(port, path, headers):
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().read().decode("utf-8", "replace")
    finally:
        connection.close()


def check_proxy_count():
    say("log-in throttle behind nginx: one client's wrong passwords, another client")
    shell("from axes.models import AccessAttempt; AccessAttempt.objects.all().delete()")
    attacker = Portal(source="127.0.0.2")
    cookie, token = csrf_pair(attacker)
    statuses = [log_in(attacker, cookie, token, password=WRONG_PASSWORD)[0] for _ in range(6)]
    figure("throttle_attacker_statuses", statuses)
    colleague = Portal(source="127.0.0.3")
    cookie, token = csrf_pair(colleague)
    figure("throttle_other_client_login", log_in(colleague, cookie, token)[0])
    shell("from axes.models import AccessAttempt; AccessAttempt.objects.all().delete()")


def check_csrf_port(nginx):
    say("a form post on port 8443, Host $host (before) and $http_host (now)")
    for name, old in (("before", True), ("now", False)):
        nginx.reload(old=old)
        connection = Portal()
        cookie, token = csrf_pair(connection)
        figure(f"csrf_port_8443_login_{name}", log_in(connection, cookie, token)[0])
        connection.close()
    nginx.reload()


def check_frozen(nginx, servers, *, old):
    name = "before" if old else "now"
    say(f"a frozen app server (SIGSTOP), nginx as documented {name}: 8 connections, 25 s")
    nginx.restart(old=old)
    frozen = servers[1]

    def freeze():
        frozen.signal_all(signal.SIGSTOP)

    try:
        result = load(
            get_status("/communities/"),
            connections=8,
            seconds=25,
            action=freeze,
            action_at=5,
            timeout=70,
        )
    finally:
        frozen.signal_all(signal.SIGCONT)
    until = result.started + 25
    ok = [r for r in result.ok(200) if r[1] <= until]
    after = [r for r in ok if r[1] >= result.started + 5]
    figure(f"frozen_{name}_answers_200", len(ok))
    figure(f"frozen_{name}_answers_200_in_the_20s_after_freeze", len(after))
    figure(f"frozen_{name}_failures", dict(result.failures(200)))
    figure(f"frozen_{name}_longest_gap_s", round(result.longest_gap(200, until), 1))
    figure(f"frozen_{name}_slowest_answer_s", round(max(r[1] - r[0] for r in ok), 1))
    # gunicorn's master kills the workers that were stopped past its timeout: wait for new ones.
    for _ in range(100):
        if healthz(frozen.port) == 200:
            break
        time.sleep(0.2)


def check_restarts(nginx, servers):
    target = servers[0]

    def naive():
        target.restart()

    def drained():
        nginx.reload(down=(target.port,))
        # In flight on the server: wait until nginx has no connection to it left.
        for _ in range(100):
            established = run(
                "ss", "-Htn", "state", "established", f"( sport = :{target.port} )", check=False
            ).stdout.strip()
            if not established:
                break
            time.sleep(0.1)
        target.restart()
        nginx.reload()

    def graceful():
        os.kill(target.process.pid, signal.SIGHUP)
        time.sleep(3)

    for name, action in (("restart", naive), ("drained", drained), ("hup", graceful)):
        say(f"form posts while one app server is restarted ({name}): 4 connections, 15 s")
        nginx.restart()
        pairs = {}

        def post(connection, pairs=pairs):
            key = id(connection)
            if key not in pairs:
                pairs[key] = csrf_pair(connection)
            return switch_language(connection, *pairs[key])

        result = load(post, connections=4, seconds=15, action=action, action_at=4, timeout=30)
        figure(f"posts_{name}_answered_302", len(result.ok(302)))
        figure(f"posts_{name}_failed", dict(result.failures(302)))
        time.sleep(2)


def check_database_restart(nginx):
    say(f"PostgreSQL restart (pg_ctlcluster {PG_CLUSTER} restart) under load, 8 connections")
    nginx.restart()
    connection = Portal()
    cookie, token = csrf_pair(connection)
    _status, session = log_in(connection, cookie, token)
    connection.close()
    version, name = PG_CLUSTER.split("/")
    took = {}

    def restart():
        began = time.monotonic()
        run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart")
        took["seconds"] = time.monotonic() - began

    result = load(
        get_status("/admin/", headers={"Cookie": f"sessionid={session}"}),
        connections=8,
        seconds=15,
        action=restart,
        action_at=5,
    )
    figure("pg_restart_seconds", round(took["seconds"], 1))
    figure("pg_restart_answers_200", len(result.ok(200)))
    figure("pg_restart_failed", dict(result.failures(200)))
    figure("pg_restart_failure_window_s", round(result.failure_window(200), 2))


def main():
    started_cluster = set_up()
    servers = [AppServer(port) for port in APP_PORTS]
    nginx = Nginx()
    try:
        for server in servers:
            server.start()
        nginx.start()
        check_basics(servers)
        check_proxy_count()
        check_csrf_port(nginx)
        check_frozen(nginx, servers, old=True)
        check_frozen(nginx, servers, old=False)
        check_restarts(nginx, servers)
        check_database_restart(nginx)
    finally:
        nginx.stop()
        for server in servers:
            server.stop()
        keys = run(
            "redis-cli", "-h", LOOPBACK, "-n", "3", "--scan", "--pattern", "chunan-drill:*",
            check=False,
        ).stdout.split()  # fmt: skip
        for key in keys:
            run("redis-cli", "-h", LOOPBACK, "-n", "3", "del", key, check=False)
        if started_cluster:
            version, name = PG_CLUSTER.split("/")
            run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "stop", check=False)
    print(json.dumps({"work": str(WORK)}))


if __name__ == "__main__":
    main()
