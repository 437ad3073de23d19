"""Panopto: links, servers per tenant, each person's own account (OAuth2), and the client that reads sessions."""
