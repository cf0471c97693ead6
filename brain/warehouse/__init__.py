"""The marketing data store: channels, campaigns, ad sets, creatives, daily metrics,
customers, orders and CSV imports."""
