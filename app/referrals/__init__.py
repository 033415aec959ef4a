"""Referrals (转介绍): share codes, attribution of new members, the referrer's reward.

A referral code presented at login, a settled work order and a refunded one reach this domain
through app/consequences.py, inside those operations' transactions.
"""
