"""`briefings web` on its production server under load, with slow clients holding connections open.

    .venv/bin/python -m bench.web [--rate 200] [--seconds 30] [--slow 50] [--articles 50000]

A real `briefings web` process (waitress, Kiwi loaded before it listens) serves a generated database.
While 200 signed `/news` commands a second arrive for 30 s over loopback, 50 clients each hold a
connection with a request that never completes (a header line every 10 s, as a slowloris does).
Goal: no errors and no lost answers; acknowledgement p99 under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.lookup import _cpu_seconds, _load, _wait_file, generate
from briefings.db import make_engine, upgrade

SECRET = "bench-signing-secret"  # the one bench.lookup signs with
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _slow_clients(port: int, count: int, stop: asyncio.Event) -> dict[str, int]:
    """Connections that send half a request and trickle a header line now and then, never finishing."""
    opened, closed_early = 0, 0
    writers = []
    for _ in range(count):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: bench\r\nContent-Length: 4096\r\n")
        await writer.drain()
        writers.append(writer)
        opened += 1
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 10)
        for writer in writers:
            if writer.is_closing():
                continue
            try:
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
            except OSError:
                closed_early += 1
                writer.close()
    still_open = sum(1 for w in writers if not w.is_closing())
    for writer in writers:
        writer.close()
    return {"opened": opened, "closed_by_server": closed_early, "open_at_end": still_open}


async def _run(
    port: int, fake_url: str, rate: int, seconds: float, slow: int
) -> tuple[dict[str, float], dict[str, float], dict[str, int]]:
    stop = asyncio.Event()
    slow_task = asyncio.create_task(_slow_clients(port, slow, stop))
    await asyncio.sleep(1)  # the slow clients are all connected before the load starts
    stats, sent_at = await _load(port, fake_url, rate, seconds)
    stop.set()
    return stats, sent_at, await slow_task


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--slow", type=int, default=50, help="slow connections held open meanwhile")
    parser.add_argument("--articles", type=int, default=50_000)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(db_url)
        engine = make_engine(db_url)
        gen = generate(engine, args.articles)
        engine.dispose()
        status, fake_url_file = Path(tmp) / "status", Path(tmp) / "fake"
        fake = subprocess.Popen(
            [sys.executable, "-m", "bench.lookup", "--fake-child", str(status), str(fake_url_file)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            text=True,
        )
        web = None
        try:
            _wait_file(fake_url_file)
            fake_url = fake_url_file.read_text()
            port = _free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
            env.update(
                DATABASE_URL=db_url,
                SLACK_BOT_TOKEN="xoxb-bench",
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=fake_url + "/api/",
            )
            started = time.perf_counter()
            web = subprocess.Popen(
                [sys.executable, "-m", "bot", "web", "--host", "127.0.0.1", "--port", str(port)],
                cwd=tmp,  # no .env
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).text == "ok":
                        break
                except httpx.HTTPError:
                    if web.poll() is not None:
                        why = web.stderr.read() if web.stderr else ""
                        raise RuntimeError(f"briefings web exited: {why}") from None
                    time.sleep(0.1)
            ready = time.perf_counter() - started
            print(
                f"== briefings web (waitress) on {gen.articles:,} articles, ready in {ready:.1f} s "
                f"(Kiwi loaded before listening); "
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
            cpu0 = _cpu_seconds(web.pid)
            stats, sent_at, slow = asyncio.run(_run(port, fake_url, args.rate, args.seconds, args.slow))
            deadline = time.time() + 30
            while time.time() < deadline:
                count = status.read_text() or "0"
                if count.isdigit() and int(count) >= stats["requests"] - stats["http_errors"]:
                    break
                time.sleep(0.2)
            cpu = (_cpu_seconds(web.pid) - cpu0) * 1000 / stats["requests"]
            assert fake.stdin is not None
            fake.stdin.write("dump\n")
            fake.stdin.flush()
            fake.wait(timeout=30)
            dump = json.loads(status.read_text())
        finally:
            if web is not None:
                web.terminate()
                try:
                    web.wait(timeout=15)
                except subprocess.TimeoutExpired:  # answers still queued: the bench does not wait for them
                    web.kill()
                    web.wait(timeout=10)
            if fake.poll() is None:
                fake.kill()
                fake.wait(timeout=10)
    answered = sum(1 for path in dump["arrivals"] if path in sent_at)
    missing = int(stats["requests"]) - answered
    ok = stats["http_errors"] == 0 and missing == 0 and dump["apologies"] == 0 and stats["ack_p99_ms"] < 300
    print(
        f"  {int(stats['requests'])} signed /news commands at {stats['achieved_rate']:.0f}/s with "
        f"{slow['opened']} slow connections held open ({slow['open_at_end']} still open at the end, "
        f"{slow['closed_by_server']} closed by the server): HTTP errors {int(stats['http_errors'])}, "
        f"missing answers {missing}, apologies {dump['apologies']}; ack p50 {stats['ack_p50_ms']:.1f} ms, "
        f"p99 {stats['ack_p99_ms']:.1f} ms; server CPU {cpu:.1f} ms/request "
        f"[goal: 0 errors, ack p99 < 300 ms: {'OK' if ok else 'MISSED'}]"
    )


if __name__ == "__main__":
    main()
