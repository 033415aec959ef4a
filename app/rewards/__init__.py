"""Points exchange (积分兑换): a catalog of rewards members buy with points, and their redemptions."""
