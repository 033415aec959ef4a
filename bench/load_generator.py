"""A small closed-loop HTTP load generator for loopback benchmarks (no extra tools needed).

    python bench/load_generator.py URL --seconds 10 --connections 8 [--header 'Authorization: Bearer ...']

Each connection is a thread with one keep-alive connection that sends the next request as soon as
the last answer arrives. Prints one JSON line: requests, errors, seconds, requests per second,
p50 and p95 latency in milliseconds. Run it in its own process so it does not share the server's
interpreter.
"""

import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlsplit


def run(url, *, seconds, connections, headers):
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    deadline = time.perf_counter() + seconds
    results = []
    lock = threading.Lock()

    def client():
        latencies, errors = [], 0
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors += 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            latencies.append(time.perf_counter() - started)
        connection.close()
        with lock:
            results.append((latencies, errors))

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(value for values, _errors in results for value in values)
    errors = sum(errors for _values, errors in results)
    count = len(latencies)
    return {
        "requests": count,
        "errors": errors,
        "seconds": round(elapsed, 2),
        "rps": round((count - errors) / elapsed, 1),
        "p50_ms": round(latencies[count // 2] * 1000, 2) if count else None,
        "p95_ms": round(latencies[min(count - 1, int(count * 0.95))] * 1000, 2) if count else None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    headers = dict(header.split(": ", 1) for header in args.header)
    print(json.dumps(run(args.url, seconds=args.seconds, connections=args.connections, headers=headers)))


if __name__ == "__main__":
    main()
