"""Marketing (营销): member metrics, segments, campaigns, subscribe-message grants, the outbox of
pushes the scheduler sends, and the staff call list. What a settle or refund records here (the
visit log, the member metrics it reads) is called from app/consequences.py."""
