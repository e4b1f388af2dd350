"""SQLite access through aiosqlite: connection, migrations and one module per aggregate."""
