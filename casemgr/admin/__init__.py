"""Setting up a deployment: organisations, sites, catalogue, assets, plans, contracts, users."""
