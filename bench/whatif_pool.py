"""What-if settings for the benchmarks only (never used by the app itself).

The production profile with Django's own psycopg connection pool instead of
per-thread persistent connections. Run a benchmark with
``--settings bench.whatif_pool`` to see what the pool would change; see
docs/performance.md. Pooling requires CONN_MAX_AGE = 0.
"""

from config.settings.production import *  # noqa: F403
from config.settings.production import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": 2,
    "max_size": 20,  # per worker process: 2 workers x 20 stays below max_connections
    "timeout": 10,
}
