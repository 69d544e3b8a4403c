"""The officers' web console: accounts and sessions, the JSON/SSE API, and the static PWA it serves."""
