"""gunicorn's settings for the portal, wherever it is served: `make run`, the benchmarks
(`make bench`, `make load`) and production (README: systemd):

    gunicorn --config chunan_community/gunicorn.conf.py chunan_community.wsgi --bind …

The command line still chooses the address, the workers and where the access log goes
(`--access-logfile -`); options given there override these.
"""

# Sync workers, one request at a time each: measured with 200 concurrent connections on the
# public notice (make load, docs/performance.md), they answer every request, the waiting
# connections queued in the listen backlog (2048 by default); gthread with 4 threads and
# keep-alive did the same, at the same rate within the noise. Each cached page takes a
# worker a millisecond or two; what holds one long is an export (up to ~30 s at province
# scale), so run more workers than exports expected at once.
worker_class = "sync"

# The access log names the path, never the query string or the referring page: searches
# for residents' names travel in query strings (?q=…), so gunicorn's default format, whose
# %(r)s is the whole request line and %(f)s the Referer, would write personal data into
# every log. %(U)s is the path alone; %(M)s the time taken in milliseconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'

# A worker silent this long is killed and restarted: above the longest request, the XLSX
# export of every return at province scale (~26 s measured at 10,000 communities).
timeout = 60

# The path is written decoded: CR, LF, NUL, quotes and bidi controls in it are escaped so that
# a request cannot forge a log line or hide part of one (chunan_community/access_log.py).
logger_class = "chunan_community.access_log.EscapingLogger"
