"""One connection to an external MCP server, through the official `mcp` SDK, usable from the
executor's worker threads.

The SDK is asynchronous; the agent's tools are plain functions run in a thread pool. Each
connection therefore owns an event loop in a thread of its own (an anyio blocking portal):
one task there holds the SDK `Client` open for the whole run, and `call()` hands a request
to that loop and waits for its answer with the server's timeout. A server that cannot be
started, does not answer in time, dies or talks garbage gives an `McpUnavailable` with a
one-line reason, never a hang.

    conn = McpConnection(config, environ)
    tools = conn.open()                     # mcp Tool descriptions (all pages)
    result = conn.call("search", {"q": "x"})   # mcp CallToolResult
    conn.close()                            # ends the server process / HTTP session
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import logging
import os
import tempfile
import threading
from contextlib import AsyncExitStack
from typing import Any, Mapping

from aiops.config_mcp import McpServerConfig
from aiops.errors import one_line

MAX_PAGES = 20            # tools/list pages read from one server
STDERR_TAIL = 400         # characters of a stdio server's stderr quoted when it fails


def _lost(exc: BaseException) -> bool:
    """Whether `exc` means the connection is gone (the process died, the stream closed)."""
    import anyio

    gone = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, ConnectionError)
    return isinstance(exc, gone) or "connection closed" in str(exc).lower()


class McpUnavailable(Exception):
    """The server could not be reached or did not answer; the message says why, in one line."""


def _why(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _why(exc.exceptions[0])
    text = one_line(exc) if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class McpConnection:
    def __init__(self, config: McpServerConfig, environ: Mapping[str, str] | None = None) -> None:
        self.config = config
        self._environ = os.environ if environ is None else environ
        self._portal: Any = None
        self._portal_cm: Any = None
        self._client: Any = None
        self._task: cf.Future | None = None
        self._stop: Any = None                 # an anyio.Event living in the portal's loop
        self._stderr: Any = None
        self.failed = ""                       # why the connection is unusable, "" while it works

    @property
    def name(self) -> str:
        return self.config.name

    # -- the transport -------------------------------------------------------------------------

    def _transport(self) -> Any:
        cfg = self.config
        if cfg.command:
            from mcp.client.stdio import StdioServerParameters, stdio_client

            env = dict(cfg.env)
            for var in cfg.pass_env:
                if var not in self._environ:
                    raise McpUnavailable(f"mcp.servers.{cfg.name}.pass_env: environment variable {var} is not set")
                env[var] = self._environ[var]
            params = StdioServerParameters(command=cfg.command, args=list(cfg.args), env=env or None,
                                           cwd=cfg.cwd or None, encoding_error_handler="replace")
            return stdio_client(params, errlog=self._stderr)
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        headers = dict(cfg.headers)
        for header, var in cfg.headers_env.items():
            if var not in self._environ:
                raise McpUnavailable(f"mcp.servers.{cfg.name}.headers_env.{header}: environment variable {var} is not set")
            headers[header] = self._environ[var]
        import httpx2

        http = create_mcp_http_client(headers=headers or None, timeout=httpx2.Timeout(max(cfg.timeout_s, cfg.startup_timeout_s)))
        return streamable_http_client(cfg.url, http_client=http)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            text = " ".join(self._stderr.read().split())
        except (OSError, ValueError):
            return ""
        return f" (stderr: {text[-STDERR_TAIL:]})" if text else ""

    # -- the loop's side -----------------------------------------------------------------------

    async def _hold(self, ready: threading.Event, out: dict[str, Any]) -> None:
        """Connect, list the tools, then keep the client open until close()."""
        import anyio
        import anyio.lowlevel
        from mcp import Client

        self._stop = anyio.Event()

        async def on_message(message: Any) -> None:
            if isinstance(message, Exception) and "tools" not in out:   # not JSON-RPC: give up now
                out.setdefault("error", McpUnavailable(f"the server does not speak MCP: {_why(message)[:300]}"))
                ready.set()
            await anyio.lowlevel.checkpoint()

        try:
            async with AsyncExitStack() as stack:
                client = await stack.enter_async_context(
                    Client(self._transport(), read_timeout_seconds=self.config.startup_timeout_s, cache=None,
                           message_handler=on_message))
                tools, cursor = [], None
                for _ in range(MAX_PAGES):
                    page = await client.list_tools(cursor=cursor)
                    tools.extend(page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        break
                self._client = client
                out["tools"] = tools
                ready.set()
                await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - reported to open()/call() as a reason
            out.setdefault("error", exc)
            if not self.failed:
                self.failed = f"connection lost: {_why(exc)}" if "tools" in out else _why(exc)
            raise
        finally:
            self._client = None
            ready.set()

    async def _call(self, name: str, arguments: dict[str, Any]) -> Any:
        import anyio

        if self._client is None:
            raise McpUnavailable(self.failed or "not connected")
        with anyio.fail_after(self.config.timeout_s):
            return await self._client.call_tool(name, arguments)

    # -- the caller's side ---------------------------------------------------------------------

    def open(self) -> list[Any]:
        """Start (stdio) or reach (HTTP) the server and list its tools; McpUnavailable if not."""
        from anyio.from_thread import start_blocking_portal

        if not logging.getLogger("aiops").isEnabledFor(logging.DEBUG):
            logging.getLogger("mcp").setLevel(logging.CRITICAL)   # a broken server's lines: one reason, not tracebacks
        if self.config.command:
            self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        atexit.register(self.close)          # a run that ends early still ends the server process
        self._portal_cm = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        ready, out = threading.Event(), {}
        self._task = self._portal.start_task_soon(self._hold, ready, out)
        if not ready.wait(self.config.startup_timeout_s):
            self.failed = f"no answer within {self.config.startup_timeout_s:g} s"
        elif "error" in out:
            err = out["error"]
            self.failed = str(err) if isinstance(err, McpUnavailable) else _why(err)
        if self.failed:
            self.failed += self._stderr_tail()
            self.close()
            raise McpUnavailable(self.failed)
        return list(out["tools"])

    def call(self, name: str, arguments: dict[str, Any]) -> Any:
        """The server's CallToolResult; McpUnavailable when it is gone, times out or errs."""
        if self._portal is None or self._task is None or self._task.done() or self.failed:
            raise McpUnavailable(self.failed or "not connected")
        try:
            return self._portal.call(self._call, name, arguments)
        except McpUnavailable:
            raise
        except TimeoutError:
            raise McpUnavailable(f"no answer within {self.config.timeout_s:g} s") from None
        except Exception as exc:  # noqa: BLE001 - protocol errors, a dead process, garbage
            why = _why(exc) + self._stderr_tail()
            if _lost(exc):
                self.failed = f"connection lost: {why}"     # every later call says so at once
            raise McpUnavailable(why) from None

    def close(self) -> None:
        """End the session and the server process (idempotent, bounded in time)."""
        portal, self._portal = self._portal, None
        atexit.unregister(self.close)
        self.failed = self.failed or "closed"
        if portal is not None:
            try:
                task = self._task
                if task is not None and not task.done() and self._client is not None:
                    portal.call(self._stop.set)            # connected: leave the session politely
                    try:
                        task.result(timeout=self.config.timeout_s)
                    except BaseException:  # noqa: BLE001 - closing a dead connection
                        pass
                if task is not None and not task.done():   # still connecting, or stuck: cancel it
                    task.cancel()
            finally:
                try:
                    self._portal_cm.__exit__(None, None, None)
                except BaseException:  # noqa: BLE001 - the loop's last errors are the server's
                    pass
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
