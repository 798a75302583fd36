"""Organisations (partners and the vendor), their sites and account teams."""
