"""Owner statistics (统计): the dashboard overview, daily series and best customers, as JSON or CSV."""
