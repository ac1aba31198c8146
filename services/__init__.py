"""Use cases of the service desk: each takes a session and the acting user, checks rights, never calls st.*."""
