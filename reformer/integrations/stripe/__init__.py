"""Stripe: the client for an organization's account, webhook signatures, and a fake API
server (fake.py) that tests, benchmarks and the demo run the real stripe client against."""
