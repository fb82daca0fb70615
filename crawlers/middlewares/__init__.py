"""Downloader middlewares: host mapping to loopback, Retry-After aware retries."""
