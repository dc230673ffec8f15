"""Accounts: users, roles, organisations, authentication, profile, consent."""
