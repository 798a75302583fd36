"""User administration and account self-service: invitations, roles, deactivation,
password change and reset by e-mail, and server-side sessions (issue 17)."""
