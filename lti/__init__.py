"""LTI 1.3 adapter: login, launch, JWKS and deep-linking views over pipeline.jobs; pages shown inside the LMS."""
