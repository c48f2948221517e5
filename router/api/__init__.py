"""The HTTP API (aiohttp) of API.md."""
