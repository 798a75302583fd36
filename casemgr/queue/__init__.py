"""The support engineers' queue: what is due next, saved views, bulk actions and macros."""
