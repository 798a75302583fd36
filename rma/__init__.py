"""RMA (return merchandise authorisation) domain logic."""
