"""A portal on a real SQLite file, served by gunicorn with several workers, for the tests that
need what only a live server shows: concurrent writes from several processes, the files on
disk, gunicorn's access log (tests/security/test_live_sqlite.py).

`prepare(folder)` migrates a new database file in its own process and fills it with a
community, its clerk, a volunteer and a rating round under public notice; `serve(...)` starts
gunicorn (bench_load.Gunicorn: a free loopback port, stopped by its pid) on that file.
Run as a module, it is that first process: `python -m tests.security.live_sqlite`.

The data are built around the day the server runs (the notice is open from yesterday to
five days ahead), since the server reads the real clock.
"""

import datetime
import http.client
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

from django.conf import settings

from operations.bench_load import Gunicorn

# Any 32 letters: Django compares the form's token with the cookie's secret.
CSRF_TOKEN = "livesqlitecsrftoken0123456789abc"
NOTICE = "live-notice"


def environment(folder: Path) -> dict:
    """The server's environment: the test settings (static files from the apps) on the
    SQLite file under `folder`, the client address from X-Forwarded-For (one proxy)."""
    return {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(folder / "media"),
        "CHUNAN_TRUSTED_PROXY_COUNT": "1",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def prepare(folder: Path) -> dict:
    """Migrate and fill the database under `folder`; what was made (ids, names)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.security.live_sqlite"],
        cwd=settings.BASE_DIR,
        env={**os.environ, **environment(folder)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def serve(folder: Path, *, workers: int = 2, access_log: Path | None = None) -> Gunicorn:
    return Gunicorn(workers=workers, access_log=access_log, environment=environment(folder))


def request(
    server: Gunicorn,
    method: str,
    path: str,
    *,
    data: dict | None = None,
    session: str = "",
    address: str = "198.51.100.1",
) -> tuple[int, dict]:
    """One request on its own connection, the path sent as given (percent-escapes and all);
    the status and the cookies set. A POST carries the form token."""
    cookies = {"csrftoken": CSRF_TOKEN, **({"sessionid": session} if session else {})}
    headers = {
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
        "X-Forwarded-For": address,
        "Accept-Language": "en",
    }
    body = None
    if data is not None:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": CSRF_TOKEN})
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        set_cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                set_cookies[key] = rest.split(";")[0]
        return response.status, set_cookies
    finally:
        connection.close()


def log_in(server: Gunicorn, username: str, password: str) -> str:
    """The session key of a real log-in through the server."""
    status, cookies = request(
        server, "POST", "/accounts/login/", data={"username": username, "password": password}
    )
    assert status == 302, status
    return cookies["sessionid"]


def _fill() -> dict:
    from django.core.management import call_command
    from django.utils import timezone

    from communities.models import Role
    from ratings.models import RoundStatus
    from tests.factories import PASSWORD, make_community, make_township, make_user, make_volunteer
    from tests.ratings.factories import (
        make_assignment,
        make_criterion,
        make_declaration,
        make_round,
    )

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    township = make_township(code="live-town", name="千岛湖镇")
    home = make_community(township=township, code="live-home", name="西园社区")
    clerk = make_user(Role.CLERK, community=home, username="live_clerk")
    judge = make_user(Role.JUDGE, username="live_judge")
    volunteer = make_volunteer(community=home, name="王小明", registered_on=today - 30 * day)
    notice = make_round(
        code=NOTICE,
        status=RoundStatus.NOTICE,
        notice_starts_on=today - day,
        notice_ends_on=today + 5 * day,
    )
    make_criterion(round=notice)
    make_assignment(round=notice, judge=judge, is_chair=True)
    make_declaration(round=notice, community=home)
    return {
        "community": home.code,
        "clerk": clerk.username,
        "password": PASSWORD,
        "volunteer": volunteer.pk,
        "round": notice.code,
        "today": today.isoformat(),
    }


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(_fill()))
