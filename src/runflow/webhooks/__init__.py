"""Webhooks: each org's Standard Webhooks signing secrets and their rotation."""
