"""Domain tool packs: gov, shop and travel tools over the sandbox services (registered by entry point)."""
