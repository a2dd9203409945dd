"""`aiops mcp serve`: aiops as a Model Context Protocol server for other agents and IDEs.

    aiops mcp serve                      # stdio (a client starts it: Claude Desktop, Cursor, ...)
    aiops mcp serve --http --port 8765   # streamable HTTP on http://127.0.0.1:8765/mcp (loopback only)

Tools (aiops.cli.mcp_tools): diagnose, kb_search, detect, logs_templates, runs_list,
runs_show and every read-only agent tool, each with its JSON schema; no tool writes to a
monitored system. Results are JSON (as text and as structured content), with secrets
redacted; a failure is a tool error with aiops's one-line message. A diagnosis reports its
progress (one notification a finished check) when the client asks for progress.
"""

from __future__ import annotations

import json
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
LOOPBACK = "127.0.0.1"


def build_server(settings: Any, tools: list[Any]) -> Any:
    """The MCP server (the SDK's low-level Server) answering tools/list and tools/call."""
    import anyio
    import anyio.from_thread
    import anyio.to_thread
    import mcp_types as types
    from mcp.server.lowlevel import Server

    from aiops import __version__
    from aiops.errors import AiopsError, one_line
    from aiops.gateway.redact import Redactor
    from aiops.tooling import ArgumentError, validate_args

    by_name = {t.name: t for t in tools}

    def listing(t: Any) -> Any:
        return types.Tool(name=t.name, description=t.description, input_schema=t.schema,
                          annotations=types.ToolAnnotations(read_only_hint=True, destructive_hint=False,
                                                            idempotent_hint=t.idempotent, open_world_hint=False))

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=[listing(t) for t in tools])

    def failed(message: str) -> Any:
        return types.CallToolResult(content=[types.TextContent(type="text", text=f"error: {message}")], is_error=True)

    async def call_tool(ctx: Any, params: Any) -> Any:
        tool = by_name.get(params.name)
        if tool is None:
            return failed(f"no tool named {params.name!r} (known: {', '.join(by_name)})")
        try:
            args = validate_args(tool.schema, params.arguments or {})
        except ArgumentError as exc:
            return failed(f"invalid arguments for {tool.name}: {exc}")
        done = 0

        def progress(message: str) -> None:      # called from the worker thread
            nonlocal done
            done += 1
            anyio.from_thread.run(ctx.session.report_progress, float(done), None, message)

        try:
            value = await anyio.to_thread.run_sync(lambda: tool.run(args, progress))
        except AiopsError as exc:
            return failed(one_line(exc))
        except Exception as exc:  # noqa: BLE001 - a bug: one line for the client, the server stays up
            return failed(f"internal error: {type(exc).__name__}: {one_line(exc)}")
        if isinstance(value, str):              # the diagnosis: the report's own JSON text, already redacted
            text, structured = value, json.loads(value)
        else:
            structured = Redactor(pii=settings.gateway.redact_pii).redact_value(
                json.loads(json.dumps(value, default=str, ensure_ascii=False)))
            text = json.dumps(structured, indent=2, ensure_ascii=False)
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=structured)

    return Server("aiops", version=__version__, title="aiops diagnostic agent",
                  instructions="Diagnose incidents (diagnose), then look closer with the read-only tools: "
                               "every tool reads; none changes a system.",
                  on_list_tools=list_tools, on_call_tool=call_tool)


@app.command("serve")
def serve_command(
    http: bool = typer.Option(False, "--http", help="Serve streamable HTTP on a loopback port instead of stdio."),
    port: int = typer.Option(8765, "--port", help="With --http: the port on 127.0.0.1."),
) -> None:
    """Serve aiops's diagnosis and read-only tools over MCP (stdio, or --http on 127.0.0.1)."""
    import sys

    import anyio

    from aiops.agent.trace_export import tracing_setup
    from aiops.cli.global_options import load_cli_settings
    from aiops.cli.mcp_tools import BundleCache, exposed_tools
    from aiops.errors import BadInputError

    if not 0 < port < 65536:
        raise BadInputError(f"--port {port}: must be between 1 and 65535")
    settings = load_cli_settings()
    bundles = BundleCache(settings)
    tracing = tracing_setup(settings, None)
    tools = exposed_tools(settings, bundles)
    server = build_server(settings, tools)
    where = f"http://{LOOPBACK}:{port}/mcp" if http else "stdio"
    print(f"aiops mcp server: {len(tools)} read-only tools on {where}", file=sys.stderr, flush=True)
    try:
        if http:
            _serve_http(server, port)
        else:
            from mcp.server.stdio import stdio_server

            async def main() -> None:
                async with stdio_server() as (read, write):
                    await server.run(read, write, server.create_initialization_options())

            anyio.run(main)
    finally:
        bundles.close()
        tracing.shutdown()


def _serve_http(server: Any, port: int) -> None:
    import uvicorn

    app_ = server.streamable_http_app(host=LOOPBACK)
    uvicorn.Server(uvicorn.Config(app_, host=LOOPBACK, port=port, log_level="warning")).run()
