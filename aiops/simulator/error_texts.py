"""Error messages as runtimes and client libraries really print them.

`own_error` is what a failing service logs about itself (the fault's signature: an
exception, a full disk, an exhausted pool). `downstream_error` is what a caller logs when
a call to another service or store fails: timed out, refused, or answered with an error;
the callee's host name appears in it, as in real client errors.
"""

from __future__ import annotations

import numpy as np

from aiops.simulator import naming


def own_error(runtime: str, kind: str, service: str, op: str, rng: np.random.Generator) -> str:
    rid = naming.uuid4(rng)
    if kind == "pool":
        return {
            "java": f"HikariPool-1 - Connection is not available, request timed out after "
                    f"{int(rng.integers(3000, 3050))}ms.",
            "go": f"failed to {op}: sql: database connection pool exhausted: context deadline exceeded",
            "node": "KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full. "
                    "Are you missing a .transacting(trx) call?",
            "dotnet": "System.InvalidOperationException: Timeout expired. The timeout period elapsed prior to "
                      "obtaining a connection from the pool.",
            "python": "sqlalchemy.exc.TimeoutError: QueuePool limit of size 10 overflow 0 reached, connection "
                      "timed out, timeout 3.00",
        }.get(runtime, "connection pool exhausted")
    if kind == "disk":
        return {
            "java": f"java.io.IOException: No space left on device (writing /tmp/{service}-{rid[:8]}.tmp)",
            "go": f"failed to {op}: write /data/{service}/{rid[:8]}.log: no space left on device",
            "node": f"Error: ENOSPC: no space left on device, write '/tmp/upload-{rid[:8]}'",
            "python": "OSError: [Errno 28] No space left on device",
            "dotnet": "System.IO.IOException: No space left on device : '/app/cache/cart.db'",
            "postgres": f"could not extend file \"base/16384/{int(rng.integers(16000, 17000))}\": "
                        "No space left on device",
            "mysql": "[InnoDB] Write to file ./catalog/products.ibd failed at offset "
                     f"{int(rng.integers(1, 99)) * 16384}, 16384 bytes should have been written. "
                     "Operating system error number 28.",
            "redis": "Write error saving DB on disk: No space left on device",
            "mongo": "WiredTiger error: write: No space left on device",
            "kafka": "Error while appending records to orders-0 in dir /var/lib/kafka/data "
                     "java.io.IOException: No space left on device",
            "rabbitmq": "Disk free space insufficient. Free bytes: 41231, limit: 50000000",
        }.get(runtime, "No space left on device")
    if kind in ("exception", "deploy"):
        table = _EXCEPTIONS if kind == "exception" else _DEPLOY_ERRORS
        texts = table.get(runtime, ["internal error processing request"])
        text = texts[int(rng.integers(0, len(texts)))]
        return text.format(op=op, rid=rid, n=int(rng.integers(1, 9)), pid=naming.pick(rng, _PIDS))
    if kind == "noise":
        return {
            "java": f"[{op}] Failed to convert value of type 'java.lang.String' to required type 'int'; "
                    f"For input string: \"{rid[:6]}\"",
            "go": f"invalid request: product id {rid[:10]} not found",
            "node": f"request validation failed: unsupported currency code \"{rid[:3].upper()}\"",
            "python": f"Invalid email address: {rid[:8]}@@example",
            "dotnet": f"Cart for user {rid} has invalid item quantity -{int(rng.integers(1, 5))}",
        }.get(runtime, "bad request")
    if kind == "oom":
        return "java.lang.OutOfMemoryError: Java heap space" if runtime == "java" else \
            f"failed to allocate buffer for {op}: cannot allocate memory"
    if kind in ("return", "config"):
        texts = (_RETURNS if kind == "return" else _CONFIG).get(runtime, ["{op} failed: unexpected result"])
        text = texts[int(rng.integers(0, len(texts)))]
        return text.format(op=op, rid=rid, n=int(rng.integers(1, 9)), svc=service)
    return {
        "java": f"[{op}] Request aborted: java.io.IOException: Broken pipe",
        "go": f"failed to write response for {op}: write: broken pipe",
        "node": "request aborted by client",
        "python": f"Exception calling application: client disconnected during {op}",
        "dotnet": "The client reset the request stream.",
    }.get(runtime, "request failed")


_PIDS = ["OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM"]
_EXCEPTIONS = {
    "java": ["Servlet.service() for servlet [dispatcherServlet] threw exception [Request processing failed; nested "
             "exception is java.lang.NullPointerException: Cannot invoke \"Order.getId()\" because \"order\" is "
             "null] with root cause",
             "[{op}] java.lang.IllegalStateException: Seat map for trip G{n}234 is inconsistent (requestId: {rid})",
             "[{op}] java.lang.ArrayIndexOutOfBoundsException: Index {n} out of bounds for length {n}"],
    "go": ["failed to {op}: rpc error: code = Internal desc = invalid product id {pid}",
           "panic recovered in {op}: runtime error: index out of range [{n}] with length {n}"],
    "node": ["{op} failed: TypeError: Cannot read properties of undefined (reading 'units')",
             "{op} failed: RangeError: Invalid currency code (request {rid})"],
    "python": ["Exception calling application: 'NoneType' object is not subscriptable",
               "Exception in {op}: ValueError: invalid literal for int() with base 10: '{pid}'"],
    "dotnet": ["An unhandled exception has occurred while executing the request. System.NullReferenceException: "
               "Object reference not set to an instance of an object.",
               "Grpc.Core.RpcException: Status(StatusCode=\"Internal\", Detail=\"Cart item {pid} is invalid\")"],
}
_RETURNS = {      # a changed return value or status code: the code answers, but wrongly
    "java": ["[{op}] Response status 409 CONFLICT returned: order state check failed (requestId: {rid})",
             "[{op}] Returning error code {n}0{n} to client: validation result was false"],
    "go": ["{op}: responding with status code {n}: precondition failed",
           "rpc error: code = FailedPrecondition desc = {op} rejected (request {rid})"],
    "node": ["{op} returned status 422: result did not pass validation"],
    "python": ["{op} returned HTTP 400: unexpected response payload"],
    "dotnet": ["Request {op} finished with status code 409 (request {rid})"],
}
_CONFIG = {       # a misconfiguration: the value is read and applied, then requests fail with it
    "java": ["[{op}] Invalid value for property '{svc}.client.timeout' (requestId: {rid}): "
             "java.lang.IllegalArgumentException: timeout must be positive",
             "[{op}] Could not resolve placeholder 'endpoint.url' in value \"${{endpoint.url}}\""],
    "go": ["{op}: invalid configuration: upstream address \"\" is empty",
           "config: unknown feature flag \"pricing_v{n}\"; request rejected"],
    "node": ["{op} failed: Error: Invalid URL: undefined/api/v{n}"],
    "python": ["{op} failed: KeyError: 'RATE_LIMIT_PER_MINUTE' missing from settings"],
    "dotnet": ["System.FormatException: The configuration value 'MaxRetries' is not a valid Int32 ({op})"],
}
_DEPLOY_ERRORS = {
    "java": ["[{op}] org.springframework.http.converter.HttpMessageNotReadableException: JSON parse error: "
             "Unrecognized field \"seatClass\" (class Order), not marked as ignorable",
             "[{op}] java.lang.NoSuchMethodError: 'java.lang.String Contact.getDocumentNumber()'"],
    "go": ["failed to {op}: json: cannot unmarshal string into Go struct field Quote.cost_usd of type float64"],
    "node": ["{op} failed: TypeError: Cannot read properties of undefined (reading 'currencyCode')"],
    "python": ["Exception calling application: KeyError: 'template_v2'"],
    "dotnet": ["System.MissingMethodException: Method not found: 'Void Cart.set_Items(System.Collections."
               "Generic.List`1<CartItem>)'."],
}


def downstream_error(caller_rt: str, callee: str, callee_rt: str, cause: str, op: str, port: int,
                     rng: np.random.Generator, callee_error_kind: str = "") -> str:
    """A caller's log line about a failed call to `callee` (cause: timeout | refused | error)."""
    host = f"{callee}:{port}"
    if callee_rt in _STORE_ERRORS:
        if cause == "error" and callee_error_kind != "disk":
            return _STORE_ERRORS[callee_rt]
        return _store_client_error(caller_rt, callee, callee_rt, cause, host, rng)
    if caller_rt == "java":
        url = f"http://{host}/api/v1/{callee.replace('ts-', '').replace('-service', '')}service/{op}"
        if cause == "timeout":
            return (f"I/O error on POST request for \"{url}\": Read timed out; nested exception is "
                    "java.net.SocketTimeoutException: Read timed out")
        if cause == "refused":
            return (f"I/O error on POST request for \"{url}\": Connection refused (Connection refused); nested "
                    "exception is java.net.ConnectException: Connection refused (Connection refused)")
        return (f"org.springframework.web.client.HttpServerErrorException$InternalServerError: 500 : "
                f"[{{\"status\":500,\"error\":\"Internal Server Error\",\"path\":\"{url[len('http://' + host):]}\"}}]")
    if caller_rt == "nginx":
        if cause == "timeout":
            return (f"upstream timed out (110: Connection timed out) while reading response header from upstream, "
                    f"upstream: \"http://{host}/\"")
        if cause == "refused":
            return f"connect() failed (111: Connection refused) while connecting to upstream, upstream: \"http://{host}/\""
        return f"upstream returned 500 from \"http://{host}/\""
    code = {"timeout": "DeadlineExceeded", "refused": "Unavailable", "error": "Internal"}[cause]
    desc = {"timeout": "context deadline exceeded",
            "refused": f"connection error: desc = \"transport: Error while dialing: dial tcp {naming.pod_ip(rng)}:"
                       f"{port}: connect: connection refused\"",
            "error": f"{callee} failed: internal error"}[cause]
    if caller_rt == "node":
        num = {"timeout": 4, "refused": 14, "error": 13}[cause]
        return f"{op} failed: Error: {num} {code.upper()}: {desc} ({host})"
    if caller_rt == "python":
        return (f"failed to call {host}: <_InactiveRpcError of RPC that terminated with: "
                f"status = StatusCode.{code.upper()} details = \"{desc}\">")
    if caller_rt == "dotnet":
        return f"Grpc.Core.RpcException: Status(StatusCode=\"{code}\", Detail=\"{desc}\") calling {host}"
    return f"failed to {op}: could not call {callee}: rpc error: code = {code} desc = {desc}"


_STORE_ERRORS = {
    "postgres": "org.postgresql.util.PSQLException: ERROR: deadlock detected",
    "mysql": "Error 1213 (40001): Deadlock found when trying to get lock; try restarting transaction",
    "mongo": "com.mongodb.MongoCommandException: Command failed with error 112 (WriteConflict)",
    "redis": "READONLY You can't write against a read only replica.",
    "kafka": "org.apache.kafka.common.errors.NotLeaderOrFollowerException: this server is not the leader for "
             "topic-partition orders-0",
    "rabbitmq": "com.rabbitmq.client.ShutdownSignalException: channel error; reply-code=406, PRECONDITION_FAILED",
}


def _store_client_error(caller_rt: str, store: str, store_rt: str, cause: str, host: str,
                        rng: np.random.Generator) -> str:
    if store_rt == "postgres":
        if cause == "refused":
            return (f"org.postgresql.util.PSQLException: Connection to {host} refused. Check that the hostname and "
                    "port are correct and that the postmaster is accepting TCP/IP connections.") \
                if caller_rt == "java" else f"dial tcp {host}: connect: connection refused"
        if cause == "timeout":
            return ("org.postgresql.util.PSQLException: An I/O error occurred while sending to the backend. "
                    f"({host}: Read timed out)") if caller_rt == "java" else \
                f"pq: canceling statement due to user request ({host})"
        return "org.postgresql.util.PSQLException: ERROR: could not extend file: No space left on device"
    if store_rt == "mongo":
        if cause == "refused":
            return (f"com.mongodb.MongoSocketOpenException: Exception opening socket; nested exception is "
                    f"java.net.ConnectException: Connection refused ({host})")
        if cause == "timeout":
            return f"com.mongodb.MongoSocketReadTimeoutException: Timeout while receiving message from {host}"
        return (f"com.mongodb.MongoWriteException: Write operation error on server {host}. "
                "Write error: WriteError{code=14031, message='No space left on device'}")
    if store_rt == "redis":
        if caller_rt == "dotnet":
            if cause == "refused":
                return (f"StackExchange.Redis.RedisConnectionException: It was not possible to connect to the redis "
                        f"server(s). UnableToConnect on {host}/Interactive")
            if cause == "timeout":
                return (f"StackExchange.Redis.RedisTimeoutException: Timeout performing HGETALL (5000ms), inst: 1, "
                        f"qu: {int(rng.integers(0, 40))}, qs: {int(rng.integers(1, 90))}, {host}")
            return "StackExchange.Redis.RedisServerException: MISCONF Redis is configured to save RDB snapshots"
        if cause == "refused":
            return f"[ioredis] Unhandled error event: Error: connect ECONNREFUSED {host}"
        if cause == "timeout":
            return f"redis command timed out after 500ms ({host})"
        return "ReplyError: MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist"
    if store_rt == "mysql":
        if cause == "refused":
            return f"dial tcp {host}: connect: connection refused"
        if cause == "timeout":
            return f"[mysql] read tcp {naming.pod_ip(rng)}:{int(rng.integers(30000, 60000))}->{host}: i/o timeout"
        return "Error 1030 (HY000): Got error 28 from storage engine"
    if store_rt == "kafka":
        if cause == "refused":
            return ("org.apache.kafka.common.errors.TimeoutException: Topic orders not present in metadata after "
                    f"60000 ms. ({host} unreachable)")
        if cause == "timeout":
            return ("org.apache.kafka.common.errors.TimeoutException: Expiring 3 record(s) for orders-0:120000 ms "
                    f"has passed since batch creation ({host})")
        return ("org.apache.kafka.common.errors.KafkaStorageException: Disk error when trying to access log file "
                "on the disk.")
    if cause == "refused":
        return f"org.springframework.amqp.AmqpConnectException: java.net.ConnectException: Connection refused ({host})"
    return f"org.springframework.amqp.AmqpTimeoutException: publish to {host} timed out"
