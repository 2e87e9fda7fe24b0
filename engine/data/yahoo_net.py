"""Telling "no network" from "no such symbol" when yfinance comes back empty, within a deadline.

yfinance swallows network failures: a download without a network, behind a proxy that never
answers, or of a symbol Yahoo does not list, all return an empty frame. What tells them apart:

* **its logged error record**: yfinance logs each failed download on its ``yfinance`` logger
  (``['IWM']: DNSError('... Could not resolve host ...')``, ``Timeout``, ``possibly delisted``);
  :class:`YahooLog` keeps the records of the thread that ran the download;
* **a connect check** (:func:`network_problem`) when the record says nothing: a TCP connection
  to Yahoo's host, or through the configured proxy a ``CONNECT`` that must be answered.

:func:`call_with_deadline` runs a call in a daemon thread and gives up on it after a deadline:
yfinance's own ``timeout`` covers the price request only, not its cookie and crumb requests
(30 s each), so behind a silent proxy one download took 130 s.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

#: Where yfinance downloads prices from (the connect check's target).
YAHOO_HOST = "query2.finance.yahoo.com"
YAHOO_PORT = 443
#: Seconds the connect check waits for a connection or a proxy's answer.
CHECK_SECONDS = 3.0

NETWORK_WORDS = ("resolve", "dnserror", "connect", "timed out", "timeout", "connection", "curl",
                 "network", "ssl", "unreachable", "temporary failure", "reset by peer", "proxy")
UNKNOWN_WORDS = ("delisted", "no timezone found", "no price data found", "not found", "404",
                 "no data found", "symbol may be")


class YahooLog(logging.Handler):
    """Keeps yfinance's log records per thread (the thread that ran the download), so that what
    yfinance logged about a download can be read back; installed once on the ``yfinance`` logger,
    which then no longer prints to the terminal."""

    _installed: YahooLog | None = None

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._records: dict[int, list[str]] = {}
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock:
            self._records.setdefault(record.thread or 0, []).append(record.getMessage())

    def take(self, thread_id: int) -> list[str]:
        """The messages logged by ``thread_id`` since the last take (and forget them)."""
        with self._lock:
            return self._records.pop(thread_id, [])

    @classmethod
    def install(cls) -> YahooLog:
        """The handler on the ``yfinance`` logger (added on first use; the logger stops
        propagating)."""
        if cls._installed is None:
            handler = cls()
            logger = logging.getLogger("yfinance")
            logger.addHandler(handler)
            logger.setLevel(logging.WARNING)
            logger.propagate = False
            cls._installed = handler
        return cls._installed


def classify(messages: list[str]) -> tuple[str, str]:
    """``("network" | "unknown" | "", the message that says so)`` for yfinance's log messages."""
    for kind, words in (("network", NETWORK_WORDS), ("unknown", UNKNOWN_WORDS)):
        for text in reversed(messages):  # the last is yfinance's per-ticker reason
            low = text.lower()
            if "failed download" in low and len(text.strip()) < 30:
                continue  # the "1 Failed download:" heading, not the reason
            if any(w in low for w in words):
                return kind, " ".join(text.split(". See https://")[0].split())
    return "", ""


def call_with_deadline(fn: Callable[[], Any], seconds: float) -> tuple[str, Any, int]:
    """Run ``fn()`` in a daemon thread for at most ``seconds``.

    Returns ``(state, value, thread id)``: ``("done", result, ...)``, ``("raised", exception,
    ...)`` or ``("late", None, ...)`` when it is still running at the deadline (the thread is
    left to finish on its own; it holds no lock of ours).
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except Exception as exc:  # handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name="yahoo-download", daemon=True)
    thread.start()
    thread.join(max(seconds, 0.0))
    ident = thread.ident or 0
    if thread.is_alive():
        return "late", None, ident
    if "error" in box:
        return "raised", box["error"], ident
    return "done", box.get("value"), ident


def proxy_for_https() -> str | None:
    """The proxy URL curl would use for https (``https_proxy``, ``HTTPS_PROXY``, ``all_proxy``)."""
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        if os.environ.get(name):
            return os.environ[name]
    return None


def _no_proxy_for(host: str) -> bool:
    skip = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    return any(host.endswith(p.strip().lstrip(".")) for p in skip.split(",") if p.strip())


def _check_proxy(proxy: str, host: str, port: int, seconds: float) -> str:
    url = urlparse(proxy if "://" in proxy else f"http://{proxy}")
    where = f"{url.hostname}:{url.port or 1080}"
    try:
        with socket.create_connection(
            (url.hostname or "", url.port or 1080), timeout=seconds
        ) as sock:
            sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            answer = sock.recv(64)
    except TimeoutError:
        return f"the proxy {where} did not answer within {seconds:g} s"
    except OSError as exc:
        return f"cannot reach the proxy {where}: {exc.strerror or exc}"
    if not answer.startswith(b"HTTP/") or answer.split(b" ")[1:2] != [b"200"]:
        return f"the proxy {where} refused the connection to {host}"
    return ""


def _check_direct(host: str, port: int, seconds: float) -> str:
    try:
        with socket.create_connection((host, port), timeout=seconds):
            return ""
    except socket.gaierror:
        return f"cannot resolve {host} (no network or no DNS)"
    except TimeoutError:
        return f"no answer from {host} within {seconds:g} s"
    except OSError as exc:
        return f"cannot connect to {host}: {exc.strerror or exc}"


def network_problem(
    host: str | None = None, port: int | None = None, seconds: float | None = None
) -> str:
    """Why ``host:port`` (default Yahoo's) cannot be reached ('' when it can), through the https
    proxy if one is set. Takes at most about twice ``seconds`` (default :data:`CHECK_SECONDS`)."""
    host, port = host or YAHOO_HOST, port or YAHOO_PORT
    seconds = seconds or CHECK_SECONDS
    proxy = None if _no_proxy_for(host) else proxy_for_https()
    start = time.monotonic()
    if proxy:
        check: Callable[[], str] = lambda: _check_proxy(proxy, host, port, seconds)  # noqa: E731
    else:
        check = lambda: _check_direct(host, port, seconds)  # noqa: E731
    state, value, _ = call_with_deadline(check, seconds * 2)
    if state == "late":
        return f"no answer from {host} within {time.monotonic() - start:.0f} s"
    return value if state == "done" else f"{type(value).__name__}: {value}"
