"""Package cards (套餐卡/次卡) and stamp cards (集章卡)."""
