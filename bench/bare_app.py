"""The yardstick for HTTP throughput: a bare Flask endpoint that returns a small JSON object.

Served by gunicorn with the same settings as the service in bench/bench_scale.py, so the ratio of
the two request rates shows what the service's own work (auth, query, serialisation) costs.
"""
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify({"ok": True, "items": [{"plate": "粤B12345"}]})
