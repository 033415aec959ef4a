"""Stores (门店) and the staff who work at them."""
