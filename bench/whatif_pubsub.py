"""What-if settings for the console benchmark only (never used by the app itself).

The production profile with channels_redis's pub/sub channel layer instead of its
list-based ``RedisChannelLayer``. The list layer receives one message at a time per
process, three Redis round trips each (a clean-up script, BZPOPMIN, a backup ZADD);
the pub/sub layer reads messages pushed to one subscribed connection. Run
``bench/console.py --settings bench.whatif_pubsub`` to see what it would change; see
docs/performance.md.
"""

from config.settings.production import *  # noqa: F403
from config.settings.production import ENV

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": ENV.redis_url, "socket_timeout": 15}]},
    }
}
