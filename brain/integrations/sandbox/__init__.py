"""Built-in simulated providers: in-process httpx transports that speak each provider's API."""
