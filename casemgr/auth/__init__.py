"""Users, roles, login, and the one place where visibility is decided."""
