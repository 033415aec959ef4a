"""Owner statistics (统计): the dashboard overview, daily series and best customers, as JSON or CSV.

The daily sales rollup the overview reads is kept current by each settle and refund
(app/consequences.py calls app/stats/rollup.py inside their transactions)."""
