"""Moving a shop in and out: importing members, cars, balances and history from the shop's old
system (templates, dry run, commit, undo) and exporting everything it owns (CSV or XLSX)."""
