"""Workers of one distributed crawl agree on a batch through Redis; the last one to leave
closes it (removals from the union of what every worker saw) and clears the batch's keys.

Joining and leaving are single Lua scripts, so a worker starting while the last one leaves
either joins the old batch before it closes or starts a new one — never a half-closed one.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator

from certwatch.config import Config
from certwatch.errors import UserError

BATCH_TTL = 7 * 24 * 3600  # a batch whose workers all died is forgotten after a week

BEAT_SECONDS = 5.0     # each worker process marks itself alive this often ...
DEAD_MS = 30_000       # ... and counts as gone when its mark is older than this

# KEYS[1] prefix; ARGV: new batch id, ttl, worker, now (ms), dead (ms).
_JOIN = """
local head = KEYS[1] .. ':batch'
local batch = redis.call('GET', head)
if batch then
  local workers = KEYS[1] .. ':' .. batch .. ':workers'
  local alive = 0
  local marks = redis.call('HGETALL', workers)
  for i = 1, #marks, 2 do
    if tonumber(marks[i + 1]) > tonumber(ARGV[4]) - tonumber(ARGV[5]) then
      alive = alive + 1
    end
  end
  -- Every worker of that batch died: start afresh (the store's upserts make it idempotent).
  if alive == 0 then batch = false end
end
if not batch then
  batch = ARGV[1]
  redis.call('SET', head, batch, 'EX', ARGV[2])
end
local workers = KEYS[1] .. ':' .. batch .. ':workers'
redis.call('HSET', workers, ARGV[3], ARGV[4])
redis.call('EXPIRE', workers, ARGV[2])
return batch
"""

# KEYS[1] prefix; ARGV: batch, worker, now (ms), dead (ms). Returns the workers still alive.
_LEAVE = """
local workers = KEYS[1] .. ':' .. ARGV[1] .. ':workers'
redis.call('HDEL', workers, ARGV[2])
local alive = 0
local marks = redis.call('HGETALL', workers)
for i = 1, #marks, 2 do
  if tonumber(marks[i + 1]) > tonumber(ARGV[3]) - tonumber(ARGV[4]) then alive = alive + 1 end
end
if alive == 0 and redis.call('GET', KEYS[1] .. ':batch') == ARGV[1] then
  redis.call('DEL', KEYS[1] .. ':batch')
end
return alive
"""


class SharedCrawlError(UserError):
    """Redis is unreachable or misconfigured."""


def connect(config: Config):  # noqa: ANN201 - redis.Redis
    import redis

    if "%" in config.redis_prefix:
        raise SharedCrawlError("CERTWATCH_REDIS_PREFIX must not contain '%'")
    try:
        server = redis.Redis.from_url(config.redis_url, socket_connect_timeout=5)
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        raise SharedCrawlError(
            f"cannot reach Redis at CERTWATCH_REDIS_URL={config.redis_url}: {exc}") from None
    return server


@contextlib.contextmanager
def shared_batch(config: Config, sources: list[str]) -> Iterator[str | None]:
    """The batch this worker joins (None when not distributed); closes it if last to leave."""
    if not config.redis_url:
        yield None
        return
    server = connect(config)
    if config.db_url.startswith("sqlite"):
        print("distributed crawl with SQLite: only workers on this machine share the database; "
              "set CERTWATCH_DB_URL to PostgreSQL for workers on several machines",
              file=sys.stderr)
    prefix = config.redis_prefix
    worker = f"{socket.gethostname()}:{os.getpid()}"
    batch = server.eval(_JOIN, 1, prefix, uuid.uuid4().hex[:12], BATCH_TTL, worker,
                        _now_ms(), DEAD_MS).decode()
    # Workers may crawl different sources; the last one closes every source of the batch.
    server.sadd(f"{prefix}:{batch}:sources", *sources)
    print(f"distributed crawl: worker {worker} joined batch {batch} on {config.redis_url}",
          file=sys.stderr)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(config, batch, worker, stop), daemon=True)
    beat.start()
    try:
        yield batch
    finally:
        stop.set()
        beat.join()
        left = int(server.eval(_LEAVE, 1, prefix, batch, worker, _now_ms(), DEAD_MS))
        if left <= 0:
            _close(config, server, batch)
        else:
            print(f"distributed crawl: {left} other worker(s) still on batch {batch}",
                  file=sys.stderr)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _heartbeat(config: Config, batch: str, worker: str, stop: threading.Event) -> None:
    server = connect(config)  # its own connection: the crawl's thread has the other one
    key = f"{config.redis_prefix}:{batch}:workers"
    while not stop.wait(BEAT_SECONDS):
        with contextlib.suppress(Exception):  # a Redis hiccup must not kill the crawl
            server.hset(key, worker, _now_ms())


def _close(config: Config, server, batch: str) -> None:  # noqa: ANN001
    from store.db import open_store
    from store.shared_runs import close_shared_source

    engine = open_store(config.db_url)
    sources = sorted(k.decode() for k in server.smembers(f"{config.redis_prefix}:{batch}:sources"))
    for source in sources:
        base = f"{config.redis_prefix}:{batch}:{source}"
        seen = {k.decode() for k in server.smembers(base + ":seen")}
        removed = close_shared_source(engine, batch, source, seen)
        what = ("incomplete: nothing marked removed" if removed is None
                else f"{removed} listing(s) no longer listed marked removed")
        print(f"distributed crawl: closed {source} ({what})", file=sys.stderr)
    for key in server.scan_iter(match=f"{config.redis_prefix}:{batch}:*", count=500):
        server.delete(key)


def wait_until_closed(config: Config, batch: str, timeout: float = 600.0) -> bool:
    """Block until the batch's last worker has closed it (removals applied), or time out."""
    server = connect(config)
    key = f"{config.redis_prefix}:{batch}:sources"
    deadline = time.monotonic() + timeout
    while server.exists(key):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True
