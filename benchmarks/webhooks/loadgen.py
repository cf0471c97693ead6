"""A load generator for signed inbound webhooks: N keep-alive connections, each POSTing
Shopify `orders/create` events back to back, every one a new order with its own event id
and its own HMAC (as Shopify sends them), for a fixed duration after a warm-up.

    python -m benchmarks.webhooks.loadgen URL --secret S --connections 32 --duration 20
prints one `BENCH_RESULT {json}` line.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections import Counter
from urllib.parse import urlsplit

MARKER = "BENCH_RESULT "


def order_body(number: int) -> bytes:
    """A Shopify order shaped like the documentation's example, with a unique id."""
    order = {
        "id": 450789469 + number, "name": f"#{1000 + number}", "email": "bench@example.com",
        "created_at": "2026-11-20T12:00:00-05:00", "processed_at": "2026-11-20T12:00:00-05:00",
        "updated_at": "2026-11-20T12:00:00-05:00", "total_price": "199.65",
        "current_total_price": "199.65", "currency": "USD", "financial_status": "paid",
        "cancelled_at": None, "test": False, "landing_site": "/?utm_source=facebook",
        "customer": {"id": 207119551 + number % 500, "email": "bench@example.com"},
        "line_items": [{"id": 466157049, "title": "IPod Nano - 8gb", "quantity": 1,
                        "price": "199.00", "sku": "IPOD2008GREEN"}],
    }
    return json.dumps(order, separators=(",", ":")).encode()


def request_bytes(host: str, path: str, secret: str, number: int, prefix: str) -> bytes:
    body = order_body(number)
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Shopify-Topic: orders/create\r\n"
        f"X-Shopify-Hmac-Sha256: {signature.decode()}\r\n"
        f"X-Shopify-Event-Id: {prefix}-{number}\r\n"
        "X-Shopify-Shop-Domain: bench.myshopify.com\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response with a Content-Length; return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


async def run(url: str, secret: str, connections: int, duration: float,
              warmup: float, rate: float = 0.0) -> dict[str, object]:
    """Closed loop (`rate` 0: each sender sends its next request when the last one is
    answered) or open loop (`rate` requests/s in total, spread evenly over the senders,
    latency measured from each request's scheduled time so a slow server cannot hide its
    queue)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError("the benchmark only sends traffic to 127.0.0.1")
    loop = asyncio.get_running_loop()
    latencies_ns: list[int] = []
    statuses: Counter[int] = Counter()
    all_acks: list[int] = [0]
    errors: Counter[str] = Counter()
    counter = iter(range(10**9))
    prefix = f"bench-{time.time_ns()}"
    opened: list[int] = []
    # Open loop: every request is signed before the clock starts (as wrk's are), so building
    # them takes no CPU from the machine under test while it runs; a sender that runs out
    # (it cannot, with the margin) signs on the fly.
    signed = iter([
        request_bytes(f"{host}:{port}", parts.path, secret, next(counter), prefix)
        for _ in range(int(rate * (warmup + duration)) + 4 * connections)
    ] if rate else [])
    start = loop.time()
    measure_from, stop_at = start + warmup, start + warmup + duration

    async def connection() -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            errors["connect"] += 1
            return
        interval = connections / rate if rate else 0.0
        scheduled = loop.time() + interval * len(opened) / connections
        opened.append(1)
        try:
            while loop.time() < stop_at:
                request = next(signed, None) or request_bytes(
                    f"{host}:{port}", parts.path, secret, next(counter), prefix)
                if interval:
                    delay = scheduled - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    # Late sends still count from when they were due.
                    began = time.perf_counter_ns() - int(max(0.0, -delay) * 1e9)
                    scheduled += interval
                else:
                    began = time.perf_counter_ns()
                writer.write(request)
                await writer.drain()
                try:
                    status = await asyncio.wait_for(read_response(reader), 10)
                except TimeoutError:
                    errors["timeout"] += 1
                    return
                if 200 <= status < 300:
                    all_acks[0] += 1
                if loop.time() >= measure_from:
                    latencies_ns.append(time.perf_counter_ns() - began)
                    statuses[status] += 1
        except (OSError, asyncio.IncompleteReadError):
            errors["read"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    latencies_ns.sort()

    def pct(q: float) -> float:
        if not latencies_ns:
            return 0.0
        return latencies_ns[min(len(latencies_ns) - 1, int(q * len(latencies_ns)))] / 1e6

    acks = sum(n for status, n in statuses.items() if 200 <= status < 300)
    return {
        "connections": connections, "duration_s": duration, "warmup_s": warmup,
        "mode": "open" if rate else "closed", "offered_rate": rate,
        "requests": len(latencies_ns), "acks": acks, "acks_all": all_acks[0],
        "acks_per_s": round(acks / duration, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(errors), "p50_ms": round(pct(0.50), 3), "p95_ms": round(pct(0.95), 3),
        "p99_ms": round(pct(0.99), 3),
        "max_ms": round(latencies_ns[-1] / 1e6, 3) if latencies_ns else 0.0,
        "mean_ms": round(sum(latencies_ns) / len(latencies_ns) / 1e6, 3)
        if latencies_ns else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--secret", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="total requests/s (open loop); 0 = closed loop")
    args = parser.parse_args()
    try:  # the sender's own event loop costs the shared machine less CPU on uvloop
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is installed with the server
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(run(args.url, args.secret, args.connections, args.duration,
                                args.warmup, args.rate))
    print(MARKER + json.dumps(result))


if __name__ == "__main__":
    main()
