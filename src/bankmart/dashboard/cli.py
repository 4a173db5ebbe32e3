"""`bankmart dashboard`: run the Streamlit app on the serving file.

The app is started through ``python -m streamlit run`` with the interpreter running bankmart, so
it works without activating the virtual environment. Streamlit's own telemetry and file watching
are off: the dashboard is a read-only viewer, not a development server.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from bankmart.argtypes import positive_int
from bankmart.errors import BankmartError
from bankmart.settings import Settings

APP = Path(__file__).resolve().with_name("app.py")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=positive_int,
        default=None,
        help="port to serve on (default $BANKMART_DASHBOARD_PORT, else 8501)",
    )
    parser.add_argument(
        "--address",
        default=None,
        help="address to listen on (default $BANKMART_DASHBOARD_ADDRESS, else 127.0.0.1; "
        "0.0.0.0 to share on the network)",
    )


def streamlit_command(port: int, address: str) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", address,
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
        "--theme.base", "light",
    ]


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.port is None:
        args.port = settings.dashboard_port
    if args.address is None:
        args.address = settings.dashboard_address
    if args.port > 65535:
        raise BankmartError(f"--port {args.port} is not a TCP port (1-65535).")
    if not settings.serving_path.is_file():
        print(
            f"bankmart dashboard: no serving file at {settings.serving_path} yet; the dashboard "
            "explains how to build one (`make run`).",
            file=sys.stderr,
        )
    print(f"bankmart dashboard: http://{args.address}:{args.port}  (Ctrl+C stops it)", flush=True)
    env = dict(os.environ)
    env["BANKMART_SERVING_DIR"] = str(settings.serving_dir)
    env["BANKMART_PROJECT_DIR"] = str(settings.project_dir)
    return serve(streamlit_command(args.port, args.address), env)


def serve(command: list[str], env: dict[str, str]) -> int:
    """Run the server until it exits. A SIGTERM to this process (a supervisor, a test's
    teardown) is passed on to it, so stopping `bankmart dashboard` never leaves the server
    running on its own; Ctrl+C already reaches both through the terminal."""
    proc = subprocess.Popen(command, env=env)
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: proc.send_signal(signum))
    try:
        return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
