"""Members (车主), their vehicles, tiers and tags."""
