"""The scheduler process: ``python -m scheduler``. The only importer of APScheduler.

Exactly one scheduler runs per deployment (APScheduler 3 cannot share a job store between
processes); the outbox's unique dedupe keys keep even a mistaken second one harmless.
"""
