"""Tiers (会员等级): their definitions (and the member tags kept beside them), qualification by
rolling spend, and the log of automatic changes. Members point at a tier; this package reads
members, never the other way round except for the Member.tier relationship."""
