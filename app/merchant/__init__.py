"""The merchant's rules: points rates, lifecycle thresholds, timezone (one row per deployment)."""
