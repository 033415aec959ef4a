"""Staff login (member login lives with members)."""
