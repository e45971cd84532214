"""People, their sessions and how they prove who they are: sign-up, log-in, log-out,
session cookies with CSRF protection, and the login rate limit."""
