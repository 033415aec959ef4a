"""The service as gunicorn serves it (its settings in gunicorn.conf.py), on a loopback port.

Gunicorn answers some requests before the application sees them (a request line or headers over
its limits, a malformed request): those answers are the JSON envelope too, not HTML. Its access log
redacts phone numbers and tokens. A chunked body over the limit is 413, not 400 invalid_json.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(database_url, tmp_path):
    """(port, access-log path) of gunicorn serving the app with the repository's settings."""
    port = _free_port()
    access_log = tmp_path / "access.log"
    env = dict(os.environ, PITSTOP_ENV="testing", DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "1", "--access-logfile", str(access_log), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield port, access_log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


def _raw(port, request: bytes):
    """Send raw bytes; (status, headers text, body bytes) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


def _json_error(head, body):
    assert "content-type: application/json" in head.lower(), head
    return json.loads(body)["error"]["code"]


def test_gunicorns_own_answers_are_json(served):
    port, _ = served
    status, head, body = _raw(port, b"GET /api/v1/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414 and _json_error(head, body) == "request_uri_too_long"
    headers = b"".join(b"X-Filler-%d: x\r\n" % n for n in range(120))
    status, head, body = _raw(port, b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert status == 431 and _json_error(head, body) == "request_header_fields_too_large"
    status, head, body = _raw(port, b"GET /api/v1/openapi.json HTTP/9.9\r\nHost: x\r\n\r\n")
    assert status == 400 and _json_error(head, body) == "bad_request"


def test_a_chunked_body_over_the_limit_is_too_large(served):
    port, _ = served
    body = b'{"code": "' + b"a" * 3_000_000 + b'"}'
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("POST", "/api/v1/auth/wechat/login")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    try:
        for start in range(0, len(body), 65536):
            piece = body[start : start + 65536]
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before reading the rest
    response = conn.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"]["code"] == "payload_too_large"
    conn.close()


def test_the_access_log_redacts_phones_and_tokens(served):
    port, access_log = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/v1/members?q=13812345678&card_token=abc.def.ghi")
    conn.getresponse().read()
    conn.request("GET", "/api/v1/vehicles?plate=x&token=eyJhbGciOi.eyJzdWIiOiIxIn0.c2ln")
    conn.getresponse().read()
    conn.close()
    deadline = time.monotonic() + 10
    while access_log.read_text().count("\n") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = access_log.read_text()
    assert "/api/v1/members?q=138****5678&card_token=[redacted]" in lines
    assert "token=[redacted]" in lines
    assert "13812345678" not in lines and "abc.def.ghi" not in lines and "eyJ" not in lines
