"""The notification outbox: in-app messages and e-mails, written in the same
transaction as what caused them and delivered after commit, with retries."""
