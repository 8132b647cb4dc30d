"""Accounts: credentials, access tokens, consent, usage points and their grants."""
