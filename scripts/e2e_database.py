"""Print the URL of an empty database beside the given PostgreSQL one, for the browser tests.

The name is the given database's plus "_e2e" (so a CI clean-up of "<name>%" drops it too).
"""

import sys

from sqlalchemy import create_engine, make_url, text

url = make_url(sys.argv[1])
name = f"{url.database}_e2e"
# Connect to the server's maintenance database: the given one need not exist yet.
admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
with admin.connect() as conn:
    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    conn.execute(text(f'CREATE DATABASE "{name}"'))
admin.dispose()
print(url.set(database=name).render_as_string(hide_password=False))
