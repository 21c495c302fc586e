"""Knowledge: versioned packs (data, with manifests and sources) and their loaders; importers under importers/."""
