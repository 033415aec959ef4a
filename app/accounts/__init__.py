"""On account (挂账): company, fleet and insurer accounts, their receivables, repayments and ageing."""
