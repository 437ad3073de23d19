"""Panopto: servers per tenant, each person's own account (OAuth2), and the session source."""
