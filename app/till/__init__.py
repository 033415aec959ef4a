"""The till (收银台): what each cashier and the store took and paid out on a merchant-local day, read
from the ledgers the other domains keep, and shift closes (交班) with the counted cash."""
