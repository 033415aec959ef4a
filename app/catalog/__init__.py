"""The catalog: service items (labor) and parts."""
