"""Building blocks shared by every domain: errors, time, money, plates, auth, pagination, idempotency."""
