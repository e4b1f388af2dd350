"""Domain services: async functions over a database connection, free of Telegram."""
