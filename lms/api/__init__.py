"""API v1 for integrations (a federation's HR or member system): personal access
tokens with scopes, created and revoked by admins, and read endpoints scoped like
an officer's pages."""
