"""The hardware a partner registered: products, parts, assets and components."""
