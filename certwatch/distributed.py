"""Workers of one distributed crawl agree on a batch through Redis; the last one to leave
closes it (removals from the union of what every worker saw) and clears the batch's keys.

Joining and leaving are single Lua scripts, so a worker starting while the last one leaves
either joins the old batch before it closes or starts a new one — never a half-closed one.

Every worker marks itself alive every few seconds. A worker whose mark goes stale is dead:
the next live worker to notice puts the requests it had taken but not yet stored back on the
shared queue (crawlers/distributed.py keeps them per worker), and marks its runs interrupted.
Every key of a batch expires KEY_TTL after the last live worker's mark, and a worker joining a
batch whose workers all died deletes that batch's keys, so nothing is left in Redis for good.
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
from dataclasses import dataclass

from certwatch.config import Config
from certwatch.errors import UserError

KEY_TTL = 3600  # seconds every batch key outlives the last heartbeat of its workers
DEFAULT_DEAD = 30.0  # seconds without a heartbeat after which a worker counts as gone

# Per-source keys under <prefix>:<batch>:<source>; the batch itself has `workers` (hash:
# worker -> last heartbeat, ms), `sources` (set) and `inflight` (hash: in-flight key of one
# worker and source -> JSON [worker, queue key]).
SOURCE_KEYS = ("requests", "dupefilter", "seen", "busy")

# Lua: every key of the batch at `base`, for expiring or deleting them together.
_BATCH_KEYS = """
local function batch_keys(base)
  local keys = {base .. ':workers', base .. ':sources', base .. ':inflight'}
  for _, source in ipairs(redis.call('SMEMBERS', base .. ':sources')) do
    for _, suffix in ipairs({'requests', 'dupefilter', 'seen', 'busy'}) do
      keys[#keys + 1] = base .. ':' .. source .. ':' .. suffix
    end
  end
  for _, key in ipairs(redis.call('HKEYS', base .. ':inflight')) do keys[#keys + 1] = key end
  return keys
end
"""

# KEYS[1] prefix; ARGV: new batch id, ttl, worker, now (ms), dead (ms).
# Returns {batch, the abandoned batch it replaced or ''}.
_JOIN = _BATCH_KEYS + """
local head = KEYS[1] .. ':batch'
local batch = redis.call('GET', head)
local abandoned = ''
if batch then
  local workers = KEYS[1] .. ':' .. batch .. ':workers'
  local alive = 0
  local marks = redis.call('HGETALL', workers)
  for i = 1, #marks, 2 do
    if tonumber(marks[i + 1]) > tonumber(ARGV[4]) - tonumber(ARGV[5]) then
      alive = alive + 1
    end
  end
  -- Every worker of that batch died: start afresh (the store's upserts make it idempotent)
  -- and drop what the dead batch left in Redis.
  if alive == 0 then
    abandoned = batch
    local keys = batch_keys(KEYS[1] .. ':' .. batch)
    for i = 1, #keys, 500 do
      redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
    end
    batch = false
  end
end
if not batch then
  batch = ARGV[1]
  redis.call('SET', head, batch, 'EX', ARGV[2])
end
local workers = KEYS[1] .. ':' .. batch .. ':workers'
redis.call('HSET', workers, ARGV[3], ARGV[4])
redis.call('EXPIRE', workers, ARGV[2])
return {batch, abandoned}
"""

# One heartbeat. KEYS[1] prefix; ARGV: batch, worker, now (ms), dead (ms), ttl.
# Marks the worker alive, forgets workers whose mark went stale, puts the requests held by
# any worker not alive (dead, or left without storing them) back on their queue, keeps every
# key of the batch from expiring. Returns {requests re-queued, dead worker, ...}.
_BEAT = _BATCH_KEYS + """
local base = KEYS[1] .. ':' .. ARGV[1]
local workers = base .. ':workers'
redis.call('HSET', workers, ARGV[2], ARGV[3])
local cutoff = tonumber(ARGV[3]) - tonumber(ARGV[4])
local alive, result = {}, {0}
local marks = redis.call('HGETALL', workers)
for i = 1, #marks, 2 do
  if tonumber(marks[i + 1]) > cutoff then
    alive[marks[i]] = true
  else
    redis.call('HDEL', workers, marks[i])
    result[#result + 1] = marks[i]
  end
end
local registry = base .. ':inflight'
local entries = redis.call('HGETALL', registry)
for i = 1, #entries, 2 do
  local owner = cjson.decode(entries[i + 1])
  if not alive[owner[1]] then
    local held = redis.call('HGETALL', entries[i])
    for j = 1, #held, 2 do
      -- Back on the queue with its priority; its fingerprint stays in the dupefilter, so it
      -- is fetched exactly once more.
      redis.call('ZADD', owner[2], held[j + 1], held[j])
      result[1] = result[1] + 1
    end
    redis.call('DEL', entries[i])
    redis.call('HDEL', registry, entries[i])
  end
end
for _, key in ipairs(batch_keys(base)) do redis.call('EXPIRE', key, ARGV[5]) end
if redis.call('GET', KEYS[1] .. ':batch') == ARGV[1] then
  redis.call('EXPIRE', KEYS[1] .. ':batch', ARGV[5])
end
return result
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


def worker_id() -> str:
    """This process as a worker: host and pid, as its crawl runs record them."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Liveness:
    dead_ms: int  # no heartbeat for this long: gone
    beat: float  # seconds between heartbeats

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Liveness:
        env = os.environ if environ is None else environ
        raw = env.get("CERTWATCH_REDIS_DEAD") or str(DEFAULT_DEAD)
        try:
            dead = float(raw)
        except ValueError:
            dead = 0.0
        if not 1.0 <= dead <= 3600.0:
            raise SharedCrawlError(
                f"CERTWATCH_REDIS_DEAD must be seconds between 1 and 3600, got {raw!r}")
        # Several beats per dead interval: one late beat (a busy machine) is not a death.
        return cls(int(dead * 1000), min(5.0, dead / 6))


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
    liveness = Liveness.from_env()
    server = connect(config)
    if config.db_url.startswith("sqlite"):
        print("distributed crawl with SQLite: only workers on this machine share the database; "
              "set CERTWATCH_DB_URL to PostgreSQL for workers on several machines",
              file=sys.stderr)
    prefix = config.redis_prefix
    worker = worker_id()
    batch, abandoned = (v.decode() for v in server.eval(
        _JOIN, 1, prefix, uuid.uuid4().hex[:12], KEY_TTL, worker, _now_ms(), liveness.dead_ms))
    if abandoned:
        _interrupt(config, abandoned, None)
        print(f"distributed crawl: every worker of batch {abandoned} had died; its Redis keys "
              f"were deleted and its runs marked interrupted", file=sys.stderr)
    # Workers may crawl different sources; the last one closes every source of the batch.
    server.sadd(f"{prefix}:{batch}:sources", *sources)
    server.expire(f"{prefix}:{batch}:sources", KEY_TTL)
    print(f"distributed crawl: worker {worker} joined batch {batch} on {config.redis_url}",
          file=sys.stderr)
    _beat(config, server, batch, worker, liveness)  # at once: a dead worker's work, back now
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(config, batch, worker, liveness, stop),
                            daemon=True)
    beat.start()
    try:
        yield batch
    finally:
        stop.set()
        beat.join()
        _await_stragglers(config, server, batch, worker, liveness)
        left = int(server.eval(_LEAVE, 1, prefix, batch, worker, _now_ms(), liveness.dead_ms))
        if left <= 0:
            _close(config, server, batch)
        else:
            print(f"distributed crawl: {left} other worker(s) still on batch {batch}",
                  file=sys.stderr)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _heartbeat(config: Config, batch: str, worker: str, liveness: Liveness,
               stop: threading.Event) -> None:
    server = connect(config)  # its own connection: the crawl's thread has the other one
    while not stop.wait(liveness.beat):
        with contextlib.suppress(Exception):  # a Redis or database hiccup must not kill the crawl
            _beat(config, server, batch, worker, liveness)


def _beat(config: Config, server, batch: str, worker: str,  # noqa: ANN001 - redis.Redis
          liveness: Liveness) -> tuple[int, list[str]]:
    requeued, *dead = server.eval(_BEAT, 1, config.redis_prefix, batch, worker, _now_ms(),
                                  liveness.dead_ms, KEY_TTL)
    gone = [d.decode() for d in dead]
    if gone:
        _interrupt(config, batch, gone)
    if requeued or gone:
        print(f"distributed crawl: worker(s) {', '.join(gone) or '(left earlier)'} stopped; "
              f"{requeued} request(s) they held but had not stored are back on the queue"
              + (", their runs marked interrupted" if gone else ""), file=sys.stderr)
    return int(requeued), gone


def _interrupt(config: Config, batch: str, workers: list[str] | None) -> None:
    from store.db import open_store
    from store.shared_runs import interrupt_worker_runs

    hosts = None if workers is None else [(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1]))
                                           for w in workers]
    interrupt_worker_runs(open_store(config.db_url), batch, hosts)


def _await_stragglers(config: Config, server, batch: str, worker: str,  # noqa: ANN001
                      liveness: Liveness) -> None:
    """Before leaving, wait until every other worker is either plainly alive or declared dead.

    A worker killed with nothing in flight still counts as alive until its mark goes stale;
    leaving before that, nobody would be last, so nobody would close the batch.
    """
    late_ms = 2 * liveness.beat * 1000 + 1000
    deadline = time.monotonic() + liveness.dead_ms / 1000 + 2 * liveness.beat
    while time.monotonic() < deadline:
        now = _now_ms()
        marks = server.hgetall(f"{config.redis_prefix}:{batch}:workers")
        if all(now - int(ts) < late_ms for who, ts in marks.items() if who.decode() != worker):
            return
        time.sleep(liveness.beat)
        with contextlib.suppress(Exception):
            _beat(config, server, batch, worker, liveness)


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
