"""What services write to their logs, per runtime: line layouts and message texts.

`format_line` lays a message out the way the runtime's default logger does (Spring Boot,
logrus text, pino JSON, Python logging, .NET console, nginx, Postgres, Redis, MongoDB...).
The text functions return messages with the variable parts real logs have: ids, UUIDs,
IPs, durations, sizes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

from aiops.simulator import naming

_LEVEL_JAVA = {"debug": "DEBUG", "info": "INFO", "warning": "WARN", "error": "ERROR"}
_PINO = {"debug": 20, "info": 30, "warning": 40, "error": 50}
_PRODUCTS = ["OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM", "2ZYFJ3GM2N", "0PUK6V6EV0", "LS4PSXUNUM",
             "9SIQT8TOJO", "6E92ZMYYFZ"]
_STATIONS = ["Shang Hai", "Su Zhou", "Nan Jing", "Tai Yuan", "Bei Jing", "Shi Jia Zhuang", "Xu Zhou", "Ji Nan"]
_THREADS = ["http-nio-8080-exec-{}", "nioEventLoopGroup-3-{}", "scheduling-1", "HikariPool-1 housekeeper"]


_STAMP = {"spring": ("%Y-%m-%d %H:%M:%S.", 3, ""), "redis": ("%d %b %Y %H:%M:%S.", 3, ""),
          "kafka": ("%Y-%m-%d %H:%M:%S,", 3, ""), "nginx": ("%d/%b/%Y:%H:%M:%S +0000", 0, ""),
          "nginx_err": ("%Y/%m/%d %H:%M:%S", 0, ""), "iso": ("%Y-%m-%dT%H:%M:%S.", 6, "Z")}


@lru_cache(maxsize=8192)
def _second(sec: int, fmt: str) -> str:
    return datetime.fromtimestamp(sec, tz=timezone.utc).strftime(fmt)


def stamp(ts: float, style: str) -> str:
    """`ts` as the given logger's timestamp layout (iso: RFC 3339 with microseconds)."""
    fmt, digits, suffix = _STAMP[style]
    micros = int(round(ts * 1e6))
    sec, frac = divmod(micros, 1_000_000)
    head = _second(sec, fmt)
    if digits == 0:
        return head
    return f"{head}{frac // 10 ** (6 - digits):0{digits}d}{suffix}"


def format_line(runtime: str, service: str, pod: str, ts: float, level: str, text: str,
                rng: np.random.Generator, fields: dict | None = None) -> str:
    fields = fields or {}
    if runtime == "java":
        thread = _THREADS[int(rng.integers(0, 2))].format(int(rng.integers(1, 11)))
        logger = fields.pop("logger", _java_logger(service))
        return f"{stamp(ts, 'spring')} {_LEVEL_JAVA[level]:>5} 1 --- [{thread:>15}] {logger:<40} : {text}"
    if runtime == "go":
        extra = "".join(f" {k}={_logfmt(v)}" for k, v in fields.items())
        return f'time="{stamp(ts, "iso")}" level={level} msg={_logfmt(text)}{extra}'
    if runtime == "node":
        doc = {"level": _PINO[level], "time": int(ts * 1000), "pid": 1, "hostname": pod,
               "name": f"{service}-server", "msg": text, **fields}
        return json.dumps(doc, separators=(",", ":"))
    if runtime == "python":
        return f"{level.upper()}:{service}-server:{text}"
    if runtime == "dotnet":
        lvl = {"debug": "dbug", "info": "info", "warning": "warn", "error": "fail"}[level]
        return f"{lvl}: {fields.pop('category', f'{service}.Services')}[0] {text}"
    if runtime == "nginx":
        if level in ("error", "warning"):
            client = f"10.244.{int(rng.integers(0, 4))}.{int(rng.integers(2, 250))}"
            return (f"{stamp(ts, 'nginx_err')} [{'error' if level == 'error' else 'warn'}] 29#29: "
                    f"*{int(rng.integers(1, 99999))} {text}, client: {client}, server: localhost")
        return text
    if runtime == "postgres":
        tag = {"debug": "DEBUG", "info": "LOG", "warning": "WARNING", "error": "ERROR"}[level]
        return f"{stamp(ts, 'spring')} UTC [{int(rng.integers(100, 9999))}] {tag}:  {text}"
    if runtime == "mysql":
        tag = {"debug": "Note", "info": "Note", "warning": "Warning", "error": "ERROR"}[level]
        return f"{stamp(ts, 'iso')} {int(rng.integers(8, 400))} [{tag}] [MY-010000] [Server] {text}"
    if runtime == "redis":
        return f"1:M {stamp(ts, 'redis')} {'#' if level in ('warning', 'error') else '*'} {text}"
    if runtime == "mongo":
        doc = {"t": {"$date": stamp(ts, "iso")}, "s": {"error": "E", "warning": "W"}.get(level, "I"),
               "c": fields.pop("component", "NETWORK"), "id": int(rng.integers(20000, 52000)),
               "ctx": f"conn{int(rng.integers(10, 9000))}", "msg": text}
        return json.dumps(doc, separators=(",", ":"))
    if runtime == "kafka":
        return f"[{stamp(ts, 'kafka')}] {_LEVEL_JAVA[level]} {text} (kafka.server.ReplicaManager)"
    if runtime == "rabbitmq":
        return f"{stamp(ts, 'iso')} [{level}] <0.{int(rng.integers(200, 9000))}.0> {text}"
    return text


@lru_cache(maxsize=256)
def _java_logger(service: str) -> str:
    """A Spring-style abbreviated logger name: ts-inside-payment-service -> i.s.InsidePaymentServiceImpl."""
    words = [w for w in service.split("-") if w not in ("ts", "service")] or [service]
    camel = "".join(w.title() for w in words)
    return f"{words[0][0]}.s.{camel}ServiceImpl"


def _logfmt(v: object) -> str:
    s = str(v)
    return f'"{s}"' if (" " in s or "=" in s or '"' in s or not s) else s


def request_line(runtime: str, service: str, op: str, ms: float, status: int,
                 rng: np.random.Generator) -> tuple[str, dict]:
    """The access/request log line of one handled request (info level)."""
    rid = naming.uuid4(rng)
    if runtime == "go":
        method, path = (op.split(" ", 1) + ["/"])[:2] if " " in op else ("POST", f"/{service}.{op}")
        return "request complete", {"http.req.id": rid, "http.req.method": method, "http.req.path": path,
                                    "http.resp.status": status, "http.resp.took_ms": int(round(ms))}
    if runtime == "java":
        if "order" in service or "preserve" in service:
            return f"[{op}][orderId: {naming.uuid4(rng)}] {op} success, cost {ms:.0f} ms", {}
        if "travel" in service or "route" in service or "station" in service:
            a, b = naming.pick(rng, _STATIONS), naming.pick(rng, _STATIONS)
            return f"[{op}] Query info, startingPlace: {a}, endPlace: {b}, tripId: G{int(rng.integers(1000, 9999))}", {}
        return f"[{op}] request handled in {ms:.0f} ms, requestId: {rid}", {}
    if runtime == "node":
        return "request complete", {"method": op, "requestId": rid, "durationMs": round(ms, 2)}
    if runtime == "python":
        ids = [naming.pick(rng, _PRODUCTS) for _ in range(3)]
        return f"[Recv {op}] product_ids={ids} took {ms:.1f}ms", {}
    if runtime == "dotnet":
        return (f"{op} called with userId={rid}, completed in {ms:.2f}ms",
                {"category": "cartservice.cartstore.RedisCartStore"})
    return f"{op} ok {ms:.1f}ms", {}


def nginx_access(ip: str, ts: float, op: str, status: int, ms: float, rng: np.random.Generator) -> str:
    method, path = (op.split(" ", 1) + ["/"])[:2]
    path = path.replace("{", "").replace("}", "")
    size = int(rng.integers(120, 9000)) if status < 400 else int(rng.integers(150, 600))
    return (f'{ip} - - [{stamp(ts, "nginx")}] "{method} {path} HTTP/1.1" {status} {size} "-" '
            f'"Mozilla/5.0 (X11; Linux x86_64)" rt={ms / 1000:.3f} uct=0.000 urt={ms / 1000:.3f}')


def background_line(runtime: str, rng: np.random.Generator) -> tuple[str, str]:
    """(level, text) of housekeeping chatter: caches, pools, schedulers, checkpoints."""
    r = int(rng.integers(0, 4))
    if runtime == "java":
        return [("debug", f"HikariPool-1 - Pool stats (total=10, active={r}, idle={10 - r}, waiting=0)"),
                ("info", f"Refreshing route cache, {int(rng.integers(20, 90))} entries loaded"),
                ("debug", f"Fetched {int(rng.integers(1, 40))} records in {rng.uniform(0.5, 9):.1f} ms"),
                ("info", "Scheduled task 'refreshCache' completed")][r]
    if runtime == "postgres":
        return [("info", "checkpoint starting: time"),
                ("info", f"checkpoint complete: wrote {int(rng.integers(10, 900))} buffers ({rng.uniform(0, 3):.1f}%); "
                         f"0 WAL file(s) added, 0 removed, 1 recycled; write={rng.uniform(1, 30):.3f} s"),
                ("info", f"automatic vacuum of table \"shop.public.orders\": index scans: {r}"),
                ("info", f"duration: {rng.uniform(100, 900):.3f} ms  statement: SELECT * FROM orders WHERE "
                         f"user_id = '{naming.uuid4(rng)}'")][r]
    if runtime == "redis":
        return [("info", f"{int(rng.integers(10, 100))} changes in 60 seconds. Saving..."),
                ("info", f"Background saving started by pid {int(rng.integers(20, 999))}"),
                ("info", "DB saved on disk"), ("info", "Background saving terminated with success")][r]
    if runtime == "mongo":
        return [("info", "Connection accepted"), ("info", "Connection ended"),
                ("info", "WiredTiger message"), ("info", "Slow query")][r]
    if runtime == "mysql":
        return ("info", f"Aborted connection {int(rng.integers(100, 9999))} to db: 'catalog' user: 'catalog' "
                        "(Got timeout reading communication packets)")
    if runtime == "kafka":
        return ("info", f"[Log partition=orders-{r}, dir=/var/lib/kafka/data] Rolled new log segment at offset "
                        f"{int(rng.integers(10000, 999999))}")
    if runtime == "rabbitmq":
        return ("info", f"accepting AMQP connection <0.{int(rng.integers(300, 999))}.0> "
                        f"({naming.pod_ip(rng)}:{int(rng.integers(30000, 60000))} -> 10.244.0.9:5672)")
    if runtime == "go":
        return ("debug", f"cache hit for key product:{naming.pick(rng, _PRODUCTS)}")
    if runtime == "node":
        return ("info", "conversion request successful")
    if runtime == "dotnet":
        return ("info", "Checking CartService Health")
    return ("info", f"health check ok ({int(rng.integers(1, 9))}ms)")
