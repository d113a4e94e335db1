"""Auth and tenancy: API keys, users, orgs, memberships and roles (DESIGN §4.2)."""
