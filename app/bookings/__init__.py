"""Bookings (预约): members book a service slot; a store never takes more cars than it has bays."""
