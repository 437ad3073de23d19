"""Panopto as a source: links, servers, credentials and the client that reads sessions."""
