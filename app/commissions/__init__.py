"""Commission (提成): rules per service item, part or category, and a ledger per staff member
written when an order settles and reversed when it is refunded."""
